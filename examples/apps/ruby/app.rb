# goldenpath sample Ruby app: GET / answers "hello from goldenpath ruby app", GET /healthz answers 200 "ok".
# Listens on $PORT (default 8080). Rack (a real gem from the platform's gem source) on WEBrick.
require "rack"
require "rack/handler/webrick"

app = lambda do |env|
  case env["PATH_INFO"]
  when "/" then [200, { "content-type" => "text/plain; charset=utf-8" }, ["hello from goldenpath ruby app\n"]]
  when "/healthz" then [200, { "content-type" => "text/plain; charset=utf-8" }, ["ok\n"]]
  else [404, { "content-type" => "text/plain; charset=utf-8" }, ["not found\n"]]
  end
end

port = Integer(ENV.fetch("PORT", "8080"))
puts "sample-ruby listening on :#{port} (rack #{Rack.release})"
$stdout.flush
Rack::Handler::WEBrick.run(app, Host: "0.0.0.0", Port: port, AccessLog: [])
