package io.goldenpath.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.apache.commons.lang3.StringUtils;

/**
 * goldenpath sample Java app (Maven): GET / answers "hello from goldenpath java-maven app", GET /healthz answers 200
 * "ok". Listens on $PORT (default 8080). The greeting goes through Apache Commons Lang, its one dependency.
 */
public final class App {
  private App() {}

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(StringUtils.defaultIfBlank(System.getenv("PORT"), "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/", ex -> reply(ex, "/".equals(ex.getRequestURI().getPath())
        ? StringUtils.joinWith(" ", "hello", "from", "goldenpath", "java-maven", "app") : null));
    server.createContext("/healthz", ex -> reply(ex, "ok"));
    server.start();
    System.out.println("sample-java-maven listening on :" + port + " (max heap "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB)");
  }

  private static void reply(HttpExchange ex, String body) throws IOException {
    byte[] b = ((body == null ? "not found" : body) + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(body == null ? 404 : 200, b.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(b);
    }
  }
}
