#include "gchat/net/relay_client.hpp"

#include <openssl/x509v3.h>
#include <sodium.h>

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <stdexcept>
#include <variant>

#include "gchat/net/endpoint.hpp"
#include "gchat/relay/auth.hpp"

namespace gchat::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

DeviceKey DeviceKey::generate() {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init");
  DeviceKey k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(k.public_key.data(), k.secret_key.data());
  return k;
}

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct RelayClient::Impl {
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> tls;
  std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws;
  beast::flat_buffer buffer;

  template <typename F>
  void visit(F&& f) {
    if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws)) f(**p);
    else if (auto* t = std::get_if<std::unique_ptr<TlsWs>>(&ws)) f(**t);
  }
};

RelayClient::RelayClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), key_(DeviceKey::generate()) {}

RelayClient::~RelayClient() = default;

std::unique_ptr<RelayClient> RelayClient::connect(unsigned short port, const std::string& ca_file,
                                                  std::chrono::milliseconds timeout) {
  return connect(Endpoint{"127.0.0.1", std::to_string(port)}, ca_file, timeout);
}

std::unique_ptr<RelayClient> RelayClient::connect(const Endpoint& relay, const std::string& ca_file,
                                                  std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  beast::error_code result = asio::error::would_block;
  tcp::resolver resolver(impl->ioc);
  beast::error_code resolved;
  const auto endpoints = resolver.resolve(relay.host, relay.port, resolved);
  if (resolved) throw std::runtime_error("cannot resolve " + relay.host + ": " + resolved.message());
  const std::string host = relay.to_string();
  if (ca_file.empty()) {
    auto ws = std::make_unique<PlainWs>(impl->ioc);
    auto* w = ws.get();
    beast::get_lowest_layer(*w).async_connect(endpoints, [&, w](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return void(result = ec);
      w->async_handshake(host, "/v1", [&](beast::error_code ec2) { result = ec2; });
    });
    impl->ws = std::move(ws);
  } else {
    impl->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    impl->tls->load_verify_file(ca_file);
    impl->tls->set_verify_mode(asio::ssl::verify_peer);
    auto ws = std::make_unique<TlsWs>(impl->ioc, *impl->tls);
    // Verify that the certificate names the host or address we dialled.
    expect_peer_name(ws->next_layer().native_handle(), relay.host);
    auto* w = ws.get();
    beast::get_lowest_layer(*w).async_connect(endpoints, [&, w](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return void(result = ec);
      w->next_layer().async_handshake(asio::ssl::stream_base::client, [&, w](beast::error_code ec2) {
        if (ec2) return void(result = ec2);
        w->async_handshake(host, "/v1", [&](beast::error_code ec3) { result = ec3; });
      });
    });
    impl->ws = std::move(ws);
  }
  impl->ioc.run_for(timeout);
  if (result) throw std::runtime_error("connect to relay failed: " + result.message());
  impl->visit([](auto& ws) {
    ws.binary(true);
    ws.read_message_max(64 * 1024 * 1024);
  });
  std::unique_ptr<RelayClient> client(new RelayClient(std::move(impl)));
  client->start_read();
  return client;
}

void RelayClient::start_read() {
  if (reading_ || paused_ || closed_) return;
  reading_ = true;
  impl_->visit([this](auto& ws) {
    ws.async_read(impl_->buffer, [this, &ws](beast::error_code ec, std::size_t) {
      reading_ = false;
      if (ec) {
        closed_ = true;
        close_code_ = ws.reason().code;
        close_reason_ = std::string(ws.reason().reason.c_str());
        return;
      }
      on_message(beast::buffers_to_string(impl_->buffer.data()));
      impl_->buffer.consume(impl_->buffer.size());
      start_read();
    });
  });
}

void RelayClient::on_message(const std::string& data, bool inside_batch) {
  pb::ServerFrame f;
  if (!f.ParseFromString(data)) throw std::runtime_error("relay sent an unparsable ServerFrame");
  if (f.has_batch()) {
    if (inside_batch) throw std::runtime_error("relay sent a batch inside a batch");
    if (f.request_id() != 0) throw std::runtime_error("relay sent a batch with a request id");
    ++batches_;
    for (const auto& inner : f.batch().frames()) on_message(inner, true);
    return;
  }
  if (f.request_id() != 0) {
    responses_.push_back(std::move(f));
  } else if (f.has_delivery()) {
    deliveries_.push_back(f.delivery());
  } else {
    pushes_.push_back(std::move(f));
  }
}

template <typename Pred>
bool RelayClient::run_until(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (impl_->ioc.stopped()) impl_->ioc.restart();
    impl_->ioc.run_one_for(deadline - now);
  }
  return true;
}

void RelayClient::pump(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  run_until([&] { return std::chrono::steady_clock::now() >= deadline; }, duration + 10ms);
}

void RelayClient::flush_outbox() {
  if (writing_ || outbox_.empty() || closed_) return;
  writing_ = true;
  impl_->visit([this](auto& ws) {
    ws.binary(outbox_.front().second);
    ws.async_write(asio::buffer(outbox_.front().first), [this](beast::error_code ec, std::size_t) {
      writing_ = false;
      outbox_.pop_front();
      if (ec) {
        closed_ = true;
        return;
      }
      flush_outbox();
    });
  });
}

void RelayClient::send_raw(const std::string& bytes, bool binary) {
  outbox_.emplace_back(bytes, binary);
  flush_outbox();
  run_until([&] { return outbox_.empty() || closed_; }, 5s);
}

std::uint64_t RelayClient::send(pb::ClientFrame frame) {
  const auto rid = next_request_id_++;
  frame.set_request_id(rid);
  outbox_.emplace_back(frame.SerializeAsString(), true);
  flush_outbox();
  return rid;
}

pb::ServerFrame RelayClient::wait_response(std::uint64_t rid, std::chrono::milliseconds timeout) {
  pb::ServerFrame out;
  const bool got = run_until(
      [&] {
        for (auto it = responses_.begin(); it != responses_.end(); ++it) {
          if (it->request_id() == rid) {
            out = std::move(*it);
            responses_.erase(it);
            return true;
          }
        }
        return closed_;
      },
      timeout);
  if (!got) throw std::runtime_error("no response to request " + std::to_string(rid) + " within the timeout");
  if (out.request_id() != rid) throw std::runtime_error("connection closed before the response: " + close_reason_);
  return out;
}

pb::ServerFrame RelayClient::request(pb::ClientFrame frame, std::chrono::milliseconds timeout) {
  return wait_response(send(std::move(frame)), timeout);
}

std::optional<pb::ServerFrame> RelayClient::next_push(std::chrono::milliseconds timeout) {
  if (!run_until([&] { return !pushes_.empty() || closed_; }, timeout) || pushes_.empty()) return std::nullopt;
  auto f = std::move(pushes_.front());
  pushes_.pop_front();
  return f;
}

std::vector<pb::Delivery> RelayClient::take_deliveries(std::size_t count, std::chrono::milliseconds timeout) {
  run_until([&] { return deliveries_.size() >= count || closed_; }, timeout);
  std::vector<pb::Delivery> out;
  while (!deliveries_.empty() && out.size() < count) {
    out.push_back(std::move(deliveries_.front()));
    deliveries_.pop_front();
  }
  return out;
}

void RelayClient::resume_reading() {
  paused_ = false;
  start_read();
}

bool RelayClient::wait_closed(std::chrono::milliseconds timeout) {
  return run_until([&] { return closed_; }, timeout);
}

void RelayClient::close() {
  if (closed_) return;
  bool done = false;
  impl_->visit([&](auto& ws) {
    ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  });
  run_until([&] { return done || closed_; }, 2s);
  closed_ = true;
}

pb::ServerFrame RelayClient::authenticate(std::chrono::milliseconds timeout) {
  pb::ClientFrame hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_device_key(to_str(key_.public_key));
  if (!chain_.empty()) hello.mutable_hello()->set_chain(to_str(chain_));
  auto challenge = request(hello, timeout);
  if (!challenge.has_challenge()) return challenge;
  const auto& c = challenge.challenge();
  const Bytes msg = relay::auth_message(as_bytes(c.relay_id()), as_bytes(c.nonce()));
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), key_.secret_key.data());
  pb::ClientFrame auth;
  auth.mutable_authenticate()->set_signature(to_str(sig));
  return request(auth, timeout);
}

pb::ServerFrame RelayClient::create_group(const std::string& group_id, const std::vector<Bytes>& members) {
  pb::ClientFrame f;
  f.mutable_create_group()->set_group_id(group_id);
  for (const auto& m : members) f.mutable_create_group()->add_member_keys(to_str(m));
  return request(f);
}

pb::ServerFrame RelayClient::send_message(const std::string& group_id, const std::string& payload,
                                          pb::MessageKind kind) {
  pb::ClientFrame f;
  f.mutable_send()->set_group_id(group_id);
  f.mutable_send()->set_kind(kind);
  f.mutable_send()->set_payload(payload);
  return request(f);
}

pb::ServerFrame RelayClient::ack(const std::string& group_id, std::uint64_t seq) {
  pb::ClientFrame f;
  f.mutable_ack()->set_group_id(group_id);
  f.mutable_ack()->set_seq(seq);
  return request(f);
}

}  // namespace gchat::net
