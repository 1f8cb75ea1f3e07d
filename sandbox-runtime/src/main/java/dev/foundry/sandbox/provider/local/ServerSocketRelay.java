package dev.foundry.sandbox.provider.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's end of the way to a server without network ({@link SandboxNetwork#NONE}): a TCP
 * port on the backend's 127.0.0.1 whose every connection is relayed, byte for byte and in both
 * directions, to the Unix socket that the relay inside the sandbox ({@code socat}) listens on and
 * forwards to the server's port on the sandbox's own loopback. The HTTP client (java.net.http,
 * which speaks no Unix sockets) then talks to the server as it does without the relay: SSE streams
 * and long requests are just long connections.
 *
 * <p>The relay lives in the backend's process and so ends with it; a new backend makes a new one on
 * {@code connect} (the socket in the sandbox stays). Each connection gets two daemon threads, one
 * per direction, for as long as it is open.
 *
 * <p>The socket's directory is writable from inside the sandbox (socat creates the socket there),
 * so the sandbox could put a symbolic link to a host socket in its place: a link, or anything but a
 * socket, is refused instead of followed.
 */
final class ServerSocketRelay implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServerSocketRelay.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String sandboxId;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private volatile Thread acceptor;

  private ServerSocketRelay(String sandboxId, Path socket, ServerSocketChannel server) {
    this.sandboxId = sandboxId;
    this.socket = socket;
    this.server = server;
  }

  /**
   * Listens on 127.0.0.1 and relays its connections to {@code socket}: on {@code preferredPort}
   * when it is above 0 and free (so that a sandbox keeps its URL across backend restarts, as a
   * server on the host's network does), else on a free port.
   */
  static ServerSocketRelay open(String sandboxId, Path socket, int preferredPort) {
    ServerSocketChannel server = null;
    if (preferredPort > 0) {
      server = bind(preferredPort);
    }
    if (server == null) {
      server = bind(0);
    }
    if (server == null) {
      throw new java.io.UncheckedIOException(
          new IOException("no loopback port for the relay of " + sandboxId));
    }
    ServerSocketRelay relay = new ServerSocketRelay(sandboxId, socket, server);
    relay.acceptor = daemon("accept", relay::acceptLoop);
    relay.acceptor.start();
    return relay;
  }

  private static ServerSocketChannel bind(int port) {
    ServerSocketChannel server = null;
    try {
      server = ServerSocketChannel.open(StandardProtocolFamily.INET);
      server.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return server;
    } catch (IOException e) {
      if (server != null) {
        closeQuietly(server);
      }
      return null;
    }
  }

  /** The port on 127.0.0.1 the backend's client connects to. */
  int port() {
    return ((InetSocketAddress) localAddress()).getPort();
  }

  boolean isOpen() {
    return !closed && server.isOpen();
  }

  private java.net.SocketAddress localAddress() {
    try {
      return server.getLocalAddress();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Stops listening and cuts every relayed connection. Returns once the port is released: the
   * kernel keeps a listening socket open while a thread is blocked accepting on it, and a new
   * backend wants to bind the same port again.
   */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (SocketChannel c : open) {
      closeQuietly(c);
    }
    open.clear();
    if (acceptor != null && acceptor != Thread.currentThread()) {
      try {
        acceptor.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          log.warn("sandbox {}: relay stopped accepting: {}", sandboxId, e.toString());
        }
        return;
      }
      open.add(client);
      SocketChannel inside;
      try {
        inside = connectInside();
      } catch (IOException e) {
        // Not up yet (while the server starts) or gone: the client sees a closed connection.
        log.debug("sandbox {}: relay cannot reach {}: {}", sandboxId, socket, e.toString());
        drop(client);
        continue;
      }
      open.add(inside);
      Pair pair = new Pair(client, inside);
      daemon("up", () -> pump(client, inside, pair)).start();
      daemon("down", () -> pump(inside, client, pair)).start();
      if (closed) {
        drop(client);
        drop(inside);
      }
    }
  }

  private SocketChannel connectInside() throws IOException {
    BasicFileAttributes attributes =
        Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attributes.isOther()) {
      throw new IOException(
          socket + " is not a socket (a link or a file put there from inside the sandbox)");
    }
    SocketChannel inside = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      inside.connect(UnixDomainSocketAddress.of(socket));
      return inside;
    } catch (IOException e) {
      closeQuietly(inside);
      throw e;
    }
  }

  /** One direction until EOF; then half-closes the other side, and closes both after both ends. */
  private void pump(SocketChannel from, SocketChannel to, Pair pair) {
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    try {
      while (from.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      // A reset or a close from either side: the other direction ends too.
      pair.failed = true;
    }
    if (pair.failed || pair.ended.incrementAndGet() == 2) {
      drop(pair.client);
      drop(pair.inside);
    }
  }

  private void drop(SocketChannel channel) {
    open.remove(channel);
    closeQuietly(channel);
  }

  private static Thread daemon(String role, Runnable work) {
    Thread t = new Thread(work, "sandbox-relay-" + role + "-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(java.nio.channels.Channel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing: nothing left to do with it
    }
  }

  /** The two channels of one relayed connection. */
  private static final class Pair {
    final SocketChannel client;
    final SocketChannel inside;
    final AtomicInteger ended = new AtomicInteger();
    volatile boolean failed;

    Pair(SocketChannel client, SocketChannel inside) {
      this.client = client;
      this.inside = inside;
    }
  }
}
