#pragma once
// A blocking WebSocket client of the relay, for tools (gchat-admin) and tests: TLS (verifying the test CA and the IP address)
// or plain TCP, an Ed25519 device key, request/response matching by request_id, and an inbox of
// pushed frames. It owns its io_context and drives it only inside bounded waits, so a silent
// relay gives an error instead of a hang. (The client core has its own asynchronous client.)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/net/endpoint.hpp"
#include "gchat/relay/v1/relay.pb.h"

namespace gchat::net {

namespace pb = gchat::relay::v1;
using namespace std::chrono_literals;

struct DeviceKey {
  Bytes public_key;  // 32
  Bytes secret_key;  // 64 (libsodium form)
  static DeviceKey generate();
};

class RelayClient {
 public:
  // Connects and completes the WebSocket handshake on /v1. ca_file empty = plain TCP.
  static std::unique_ptr<RelayClient> connect(unsigned short port, const std::string& ca_file,
                                              std::chrono::milliseconds timeout = 5s);
  // Any host: the relay's certificate must name it (its address, or its DNS name with SNI).
  static std::unique_ptr<RelayClient> connect(const Endpoint& relay, const std::string& ca_file,
                                              std::chrono::milliseconds timeout = 5s);
  ~RelayClient();

  const DeviceKey& key() const noexcept { return key_; }
  void set_key(DeviceKey key) { key_ = std::move(key); }
  // The certificate chain sent in Hello (serialized gchat.identity.v1.Chain); empty: none.
  void set_chain(Bytes chain) { chain_ = std::move(chain); }

  // Hello + Authenticate; returns the AuthOk frame or the error frame.
  pb::ServerFrame authenticate(std::chrono::milliseconds timeout = 5s);

  // Sends a request with a fresh request_id and waits for the frame answering it (response or error).
  pb::ServerFrame request(pb::ClientFrame frame, std::chrono::milliseconds timeout = 5s);
  // Sends without waiting; returns the request_id used.
  std::uint64_t send(pb::ClientFrame frame);
  void send_raw(const std::string& bytes, bool binary = true);
  // Waits for the answer to an earlier send().
  pb::ServerFrame wait_response(std::uint64_t request_id, std::chrono::milliseconds timeout = 5s);

  // Pushed frames (request_id 0): deliveries, notices, errors without a request.
  std::optional<pb::ServerFrame> next_push(std::chrono::milliseconds timeout = 5s);
  // Waits until `count` deliveries have arrived in total (since the last take), returns them in order.
  std::vector<pb::Delivery> take_deliveries(std::size_t count, std::chrono::milliseconds timeout = 5s);
  std::size_t deliveries_waiting() const noexcept { return deliveries_.size(); }
  // Batch frames received so far (each already unpacked into responses, deliveries and pushes).
  std::size_t batches_received() const noexcept { return batches_; }

  // Reading can be paused to play a slow reader; the socket then fills up.
  void pause_reading() { paused_ = true; }
  void resume_reading();
  // Runs the event loop for a while without waiting for anything in particular.
  void pump(std::chrono::milliseconds duration);

  bool closed() const noexcept { return closed_; }
  bool wait_closed(std::chrono::milliseconds timeout = 5s);
  std::string close_reason() const { return close_reason_; }
  int close_code() const noexcept { return close_code_; }
  void close();

  // Convenience requests.
  pb::ServerFrame create_group(const std::string& group_id, const std::vector<Bytes>& members);
  pb::ServerFrame send_message(const std::string& group_id, const std::string& payload,
                               pb::MessageKind kind = pb::APPLICATION);
  pb::ServerFrame ack(const std::string& group_id, std::uint64_t seq);

 private:
  struct Impl;
  explicit RelayClient(std::unique_ptr<Impl> impl);
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds timeout);
  void start_read();
  void on_message(const std::string& data, bool inside_batch = false);

  std::unique_ptr<Impl> impl_;
  DeviceKey key_;
  Bytes chain_;
  std::uint64_t next_request_id_ = 1;
  std::deque<pb::ServerFrame> responses_;
  std::deque<pb::ServerFrame> pushes_;
  std::deque<pb::Delivery> deliveries_;
  std::size_t batches_ = 0;
  bool reading_ = false;
  bool paused_ = false;
  bool closed_ = false;
  int close_code_ = 0;
  std::string close_reason_;
  bool writing_ = false;
  std::deque<std::pair<std::string, bool>> outbox_;
  void flush_outbox();
};

std::string to_str(BytesView b);

}  // namespace gchat::net
