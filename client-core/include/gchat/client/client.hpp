#pragma once
// gchat::client::Client: the client core as every front end uses it. It runs its own network
// thread (which owns the local store, the MLS state and the relay connection), never blocks the
// caller, and reports through one ordered stream of Outputs: the Response to every Request and the
// Events the core raises on its own. See protocol/proto/gchat/client/v1/client.proto.
//
// Thread-safety: every member function may be called from any thread. Outputs are delivered in
// order, either to a callback (on the client's thread; it must not call wait()/call()) or, without
// one, to a queue read by next().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "gchat/client/v1/client.pb.h"

namespace gchat::client {

class Engine;

class Client {
 public:
  explicit Client(v1::Config config);
  ~Client();  // stops the thread; requests not answered yet are dropped
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues the request and returns its request_id (the one given, or a fresh one when 0).
  std::uint64_t submit(v1::Request request);
  // The next output in order; nullopt when none arrives within `timeout`.
  std::optional<v1::Output> next(std::chrono::milliseconds timeout);
  // From now on every output goes to `callback` (on the client's thread) instead of the queue.
  void set_callback(std::function<void(const v1::Output&)> callback);

  // For tools and tests: submits and waits for the response. Events and other responses met on the
  // way stay queued for next(). On timeout the response has error TIMEOUT.
  v1::Response call(v1::Request request, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the first queued event matching `pred` and takes it (earlier outputs stay queued).
  std::optional<v1::Event> wait_event(const std::function<bool(const v1::Event&)>& pred,
                                      std::chrono::milliseconds timeout);

 private:
  struct Impl;
  void deliver(v1::Output output);  // not "emit": front ends include this beside Qt's keywords
  std::unique_ptr<Impl> impl_;
};

}  // namespace gchat::client
