package io.pciefarm.grpc;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Netty's transport for this machine: native epoll where it loads (Linux), else NIO. Only epoll
 * has Unix domain sockets here; asking for one without it is an error that says why.
 */
public enum Transport {
  EPOLL,
  NIO;

  /**
   * gRPC sets SO_KEEPALIVE on every Netty channel, and Netty warns once per connection that a
   * Unix domain socket has no such option. The warning says nothing a user can act on, so it is
   * silenced (held here so the logger and its level are not garbage-collected).
   */
  private static final java.util.List<java.util.logging.Logger> BOOTSTRAP_LOG = java.util.List.of(
      quiet("io.netty.bootstrap.Bootstrap"), quiet("io.netty.bootstrap.ServerBootstrap"));

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.SEVERE);
    return l;
  }

  /** System property that forces NIO even where epoll is available (for tests and debugging). */
  public static final String PROPERTY = "pciefarm.transport";

  /** Epoll when it is available and not overridden by {@value #PROPERTY}{@code =nio}. */
  public static Transport best() {
    if ("nio".equalsIgnoreCase(System.getProperty(PROPERTY))) {
      return NIO;
    }
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  public boolean supportsUnixSockets() {
    return this == EPOLL;
  }

  /**
   * Fails with a message a person can act on when this transport has no Unix domain sockets.
   */
  public void requireUnixSockets(String what) {
    if (!supportsUnixSockets()) {
      Throwable why = Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
      throw new IllegalStateException(what + " needs Netty's native epoll transport (Linux"
          + " x86_64 or aarch64), which is " + (why == null ? "disabled by -D" + PROPERTY + "=nio"
              : "unavailable here: " + why.getMessage()) + "; use a TCP address instead");
    }
  }

  public EventLoopGroup newEventLoopGroup(int threads, String name) {
    IoHandlerFactory factory = this == EPOLL ? EpollIoHandler.newFactory()
        : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
        factory);
  }

  public Class<? extends ServerChannel> tcpServerChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public Class<? extends ServerChannel> unixServerChannel() {
    requireUnixSockets("a Unix domain socket listener");
    BOOTSTRAP_LOG.size();
    return EpollServerDomainSocketChannel.class;
  }

  public Class<? extends Channel> tcpChannel() {
    return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  public Class<? extends Channel> unixChannel() {
    requireUnixSockets("a Unix domain socket connection");
    BOOTSTRAP_LOG.size();
    return EpollDomainSocketChannel.class;
  }
}
