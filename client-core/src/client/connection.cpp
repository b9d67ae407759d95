#include "connection.hpp"

#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>

#include "gchat/net/endpoint.hpp"

namespace gchat::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxFrame = 64 * 1024 * 1024;
}

struct Connection::Impl {
  Impl(asio::io_context& ioc, asio::ssl::context& tls) : resolver(ioc), ws(ioc, tls) {}
  tcp::resolver resolver;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  std::string host, port;
  Handlers handlers;
  std::deque<std::string> outbox;
  bool writing = false;
  bool ready = false;
  bool closed = false;
};

Connection::Connection(asio::io_context& ioc, asio::ssl::context& tls, std::string endpoint, Handlers handlers)
    : impl_(std::make_unique<Impl>(ioc, tls)) {
  impl_->handlers = std::move(handlers);
  // Checked when the configuration was read; an unparsable one fails at connection time.
  if (auto e = net::parse_endpoint(endpoint); e.ok()) {
    impl_->host = e->host;
    impl_->port = e->port;
  } else {
    impl_->host = endpoint;
    impl_->port = "0";
  }
}

Connection::~Connection() = default;

void Connection::fail(const std::string& reason) {
  if (impl_->closed) return;
  impl_->closed = true;
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
  if (impl_->handlers.closed) impl_->handlers.closed(reason);
}

void Connection::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->resolver.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

void Connection::start(std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  auto& stream = beast::get_lowest_layer(impl_->ws);
  stream.expires_after(timeout);
  // The relay certificate must name the host or address dialled.
  net::expect_peer_name(impl_->ws.next_layer().native_handle(), impl_->host);
  impl_->ws.next_layer().set_verify_mode(asio::ssl::verify_peer);
  impl_->resolver.async_resolve(impl_->host, impl_->port, [self, this](beast::error_code ec2, tcp::resolver::results_type results) {
    if (impl_->closed) return;
    if (ec2) return fail("cannot resolve " + impl_->host + ": " + ec2.message());
    beast::get_lowest_layer(impl_->ws).async_connect(results, [self, this](beast::error_code ec3, const tcp::endpoint&) {
      if (impl_->closed) return;
      if (ec3) return fail("cannot connect: " + ec3.message());
      impl_->ws.next_layer().async_handshake(asio::ssl::stream_base::client, [self, this](beast::error_code ec4) {
        if (impl_->closed) return;
        if (ec4) return fail("TLS handshake failed: " + ec4.message());
        impl_->ws.async_handshake(impl_->host + ":" + impl_->port, "/v1", [self, this](beast::error_code ec5) {
          if (impl_->closed) return;
          if (ec5) return fail("WebSocket handshake failed: " + ec5.message());
          beast::get_lowest_layer(impl_->ws).expires_never();
          websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
          t.keep_alive_pings = true;
          impl_->ws.set_option(t);
          impl_->ws.binary(true);
          impl_->ws.read_message_max(kMaxFrame);
          impl_->ready = true;
          read();
          if (impl_->handlers.opened) impl_->handlers.opened();
          write();
        });
      });
    });
  });
}

void Connection::read() {
  auto self = shared_from_this();
  impl_->ws.async_read(impl_->buffer, [self, this](beast::error_code ec, std::size_t) {
    if (impl_->closed) return;
    if (ec) {
      std::string why = ec == websocket::error::closed ? "the relay closed the connection" : ec.message();
      const auto& r = impl_->ws.reason();
      if (!r.reason.empty()) why += std::string(" (") + r.reason.c_str() + ")";
      return fail(why);
    }
    const std::string data = beast::buffers_to_string(impl_->buffer.data());
    impl_->buffer.consume(impl_->buffer.size());
    deliver(data, false);
    if (!impl_->closed) read();
  });
}

void Connection::deliver(const std::string& data, bool inside_batch) {
  relay::v1::ServerFrame f;
  if (!f.ParseFromString(data)) return fail("the relay sent a frame that does not parse");
  if (f.has_batch()) {
    if (inside_batch || f.request_id() != 0) return fail("the relay sent a malformed batch");
    for (const auto& inner : f.batch().frames()) {
      if (impl_->closed) return;
      deliver(inner, true);
    }
    return;
  }
  if (impl_->handlers.frame) impl_->handlers.frame(std::move(f));
}

void Connection::send(const relay::v1::ClientFrame& frame) {
  if (impl_->closed) return;
  impl_->outbox.push_back(frame.SerializeAsString());
  write();
}

void Connection::write() {
  if (!impl_->ready || impl_->writing || impl_->outbox.empty() || impl_->closed) return;
  impl_->writing = true;
  auto self = shared_from_this();
  impl_->ws.async_write(asio::buffer(impl_->outbox.front()), [self, this](beast::error_code ec, std::size_t) {
    impl_->writing = false;
    if (impl_->closed) return;
    if (ec) return fail("sending failed: " + ec.message());
    impl_->outbox.pop_front();
    write();
  });
}

}  // namespace gchat::client
