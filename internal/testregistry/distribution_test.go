//go:build linux

package testregistry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// (linux: 127.0.0.2 is a loopback address there, not on every system.)

// A registry signed by a CA from files (PKCS #8 key, as openssl writes) and listening on another local address: its
// Host is that address, its certificate names it and chains to that CA, and it asks for and accepts the credentials.
func TestStartDistributionSignedByListenOn(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "file CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))

	r := StartDistribution(t, "u", "p", SignedBy(t, certFile, keyFile), ListenOn("127.0.0.2"))
	if host, _, err := net.SplitHostPort(r.Host); err != nil || host != "127.0.0.2" {
		t.Fatalf("Host %s: want 127.0.0.2:PORT", r.Host)
	}
	ca, err := x509.ParseCertificate(der)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca) // the file's CA, not the Registry's own pool
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + r.Host + "/v2/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ without credentials: %s, want 401", resp.Status)
	}
	if got := resp.TLS.PeerCertificates[0].IPAddresses; len(got) != 1 || got[0].String() != "127.0.0.2" {
		t.Fatalf("certificate IP SANs %v, want [127.0.0.2]", got)
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+r.Host+"/v2/", nil)
	must(t, err)
	req.SetBasicAuth("u", "p")
	resp, err = client.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v2/ with the credentials: %s, want 200", resp.Status)
	}
}
