#pragma once
// One WebSocket-over-TLS connection from the client core to a relay endpoint: resolve, connect,
// TLS handshake verifying the relay's certificate for the host name or address dialled, WebSocket
// handshake on /v1, then frames both ways (a relay Batch is unpacked here). Asynchronous, on the
// engine's io_context; handlers are called on that thread, never after close().

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gchat/relay/v1/relay.pb.h"

namespace gchat::client {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Handlers {
    std::function<void()> opened;
    std::function<void(relay::v1::ServerFrame)> frame;
    std::function<void(std::string reason)> closed;  // once; not after close()
  };
  // `endpoint`: "host:port" or "[v6]:port".
  Connection(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, std::string endpoint, Handlers handlers);
  ~Connection();

  void start(std::chrono::milliseconds timeout);
  void send(const relay::v1::ClientFrame& frame);
  void close();

 private:
  struct Impl;
  void fail(const std::string& reason);
  void read();
  void write();
  void deliver(const std::string& data, bool inside_batch);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gchat::client
