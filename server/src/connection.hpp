#pragma once
// The transport under a Session: an HTTP request first (health and metrics answered directly, a
// WebSocket upgrade accepted), then binary WebSocket messages. NextLayer is beast::tcp_stream
// (plain) or beast::ssl_stream<beast::tcp_stream> (TLS).

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <optional>

#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"

namespace gchat::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

template <typename NextLayer>
class Connection final : public Session {
 public:
  // Plain TCP.
  Connection(Relay& relay, tcp::socket&& socket)
    requires std::is_same_v<NextLayer, beast::tcp_stream>
      : Session(relay, socket.get_executor()), ws_(std::move(socket)) {}
  // TLS.
  Connection(Relay& relay, tcp::socket&& socket, boost::asio::ssl::context& tls)
    requires(!std::is_same_v<NextLayer, beast::tcp_stream>)
      : Session(relay, socket.get_executor()), ws_(std::move(socket), tls) {}

  void run() {
    beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
    if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
      read_http();
    } else {
      ws_.next_layer().async_handshake(boost::asio::ssl::stream_base::server,
                                       [self = self()](beast::error_code ec) {
                                         if (ec) return self->on_transport_error(ec, "tls_handshake");
                                         self->read_http();
                                       });
    }
  }

 private:
  std::shared_ptr<Connection> self() { return std::static_pointer_cast<Connection>(shared_from_this()); }

  void read_http() {
    request_.emplace();
    request_->header_limit(8 * 1024);
    request_->body_limit(0);
    http::async_read(ws_.next_layer(), buffer_, *request_, [self = self()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_transport_error(ec, "http_read");
      self->on_http();
    });
  }

  void on_http() {
    auto& req = request_->get();
    if (websocket::is_upgrade(req)) {
      if (req.target() != "/v1") {
        respond(http::status::not_found, "the WebSocket endpoint is /v1\n", "text/plain");
        return;
      }
      beast::get_lowest_layer(ws_).expires_never();
      ws_.set_option(websocket::stream_base::timeout{kHandshakeTimeout, websocket::stream_base::none(), false});
      ws_.set_option(websocket::stream_base::decorator(
          [](websocket::response_type& res) { res.set(http::field::server, "gchat-relay"); }));
      ws_.read_message_max(relay_config().max_frame_bytes);
      ws_.binary(true);
      ws_.auto_fragment(false);
      ws_.async_accept(req, [self = self()](beast::error_code ec) {
        if (ec) return self->on_transport_error(ec, "ws_accept");
        self->request_.reset();
        self->on_open();
        self->read_frame();
      });
      return;
    }
    if (req.method() == http::verb::get && req.target() == "/healthz") {
      respond(http::status::ok, "ok\n", "text/plain");
    } else if (req.method() == http::verb::get && req.target() == "/metrics") {
      respond(http::status::ok, relay_metrics(), "text/plain; version=0.0.4");
    } else {
      respond(http::status::not_found, "not found\n", "text/plain");
    }
  }

  void respond(http::status status, std::string body, const char* content_type) {
    auto res = std::make_shared<http::response<http::string_body>>(status, request_->get().version());
    res->set(http::field::server, "gchat-relay");
    res->set(http::field::content_type, content_type);
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res, [self = self(), res](beast::error_code, std::size_t) {
      self->shutdown_transport();
    });
  }

  void read_frame() {
    ws_.async_read(buffer_, [self = self()](beast::error_code ec, std::size_t bytes) {
      if (ec) return self->on_transport_error(ec, "ws_read");
      const auto data = self->buffer_.cdata();
      self->on_frame(BytesView(static_cast<const std::uint8_t*>(data.data()), bytes), self->ws_.got_binary());
      self->buffer_.consume(bytes);
      // An idle connection keeps no large buffer.
      if (self->buffer_.capacity() > 16 * 1024) self->buffer_.shrink_to_fit();
      if (!self->read_paused() && !self->closing_) self->read_frame();
    });
  }

  void resume_read() override { read_frame(); }

  void start_write(const std::string& frame) override {
    ws_.async_write(boost::asio::buffer(frame), [self = self()](beast::error_code ec, std::size_t bytes) {
      if (ec) return self->on_transport_error(ec, "ws_write");
      self->on_write_done(bytes);
    });
  }

  void start_close() override {
    if (closing_) return;
    closing_ = true;
    ws_.async_close(websocket::close_code::normal, [self = self()](beast::error_code) { self->on_closed(); });
  }

  void on_transport_error(beast::error_code ec, const char* where) {
    if (ec == websocket::error::message_too_big) {
      relay_metrics_count(pb::FRAME_TOO_LARGE);
      log::info("frame_too_large", {{"where", where}});
    } else if (ec != websocket::error::closed && ec != boost::asio::error::operation_aborted &&
               ec != http::error::end_of_stream && ec != boost::asio::error::eof) {
      log::debug("transport_error", {{"where", where}, {"error", ec.message()}});
    }
    closing_ = true;
    on_closed();
  }

  void shutdown_transport() {
    closing_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    on_closed();
  }

  const Config& relay_config() { return relay().config(); }
  std::string relay_metrics() { return relay().render_metrics(); }
  void relay_metrics_count(int code) { relay().metrics().count_error(code); }

  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> request_;
  bool closing_ = false;
};

}  // namespace gchat::server
