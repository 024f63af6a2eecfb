package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/net/websocket"
)

// conn is one WebSocket to the browser carrying every session's commands
// (flattened sessions: each message names its sessionId).
type conn struct {
	ws     *websocket.Conn
	mu     sync.Mutex
	next   int64
	calls  map[int64]chan reply
	subs   map[string][]*sub // by sessionId + " " + method
	closed chan struct{}
	err    error
}

type reply struct {
	Result json.RawMessage
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
}

type sub struct{ f func(json.RawMessage) }

type message struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func dial(url string) (*conn, error) {
	ws, err := websocket.Dial(url, "", "http://127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("connecting to chromium's DevTools at %s: %w", url, err)
	}
	ws.MaxPayloadBytes = 64 << 20 // full-page screenshots
	c := &conn{ws: ws, calls: map[int64]chan reply{}, subs: map[string][]*sub{}, closed: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *conn) read() {
	defer close(c.closed)
	for {
		var data []byte
		if err := websocket.Message.Receive(c.ws, &data); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch := c.calls[m.ID]; ch != nil {
				ch <- reply{Result: m.Result, Error: m.Error}
				delete(c.calls, m.ID)
			}
			c.mu.Unlock()
			continue
		}
		subs := append([]*sub(nil), c.subs[m.SessionID+" "+m.Method]...)
		c.mu.Unlock()
		for _, s := range subs {
			s.f(m.Params)
		}
	}
}

// call sends a command and waits for its answer.
func (c *conn) call(ctx context.Context, session, method string, params, result any) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: the DevTools connection is closed: %w", method, err)
	}
	c.next++
	id := c.next
	ch := make(chan reply, 1)
	c.calls[id] = ch
	c.mu.Unlock()
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	if params == nil {
		raw = nil
	}
	out, err := json.Marshal(message{ID: id, SessionID: session, Method: method, Params: raw})
	if err != nil {
		return err
	}
	c.mu.Lock()
	err = websocket.Message.Send(c.ws, string(out))
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("%s: %w", method, errors.New("the browser closed the connection"))
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// subscribe calls f with the params of each event of the session; the
// returned function unsubscribes.
func (c *conn) subscribe(session, method string, f func(json.RawMessage)) func() {
	s := &sub{f: f}
	k := session + " " + method
	c.mu.Lock()
	c.subs[k] = append(c.subs[k], s)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.subs[k] {
			if x == s {
				c.subs[k] = append(c.subs[k][:i], c.subs[k][i+1:]...)
				break
			}
		}
	}
}

func (c *conn) close() { _ = c.ws.Close() }
