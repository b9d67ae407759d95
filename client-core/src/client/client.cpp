#include "gchat/client/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "engine.hpp"

namespace gchat::client {

struct Client::Impl {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::unique_ptr<Engine> engine;
  std::thread thread;

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<v1::Output> queue;
  std::function<void(const v1::Output&)> callback;
  std::uint64_t next_id = 1ull << 32;  // ids the core picks stay clear of small caller-chosen ones
};

Client::Client(v1::Config config) : impl_(std::make_unique<Impl>()) {
  impl_->engine = std::make_unique<Engine>(impl_->ioc, std::move(config), [this](v1::Output o) { deliver(std::move(o)); });
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

Client::~Client() {
  boost::asio::post(impl_->ioc, [this] {
    impl_->engine->shutdown();
    impl_->work.reset();
  });
  impl_->thread.join();
  impl_->engine.reset();
}

void Client::deliver(v1::Output output) {
  std::function<void(const v1::Output&)> callback;
  {
    std::lock_guard lock(impl_->mutex);
    callback = impl_->callback;
    if (!callback) {
      impl_->queue.push_back(std::move(output));
      impl_->cv.notify_all();
      return;
    }
  }
  callback(output);
}

std::uint64_t Client::submit(v1::Request request) {
  {
    std::lock_guard lock(impl_->mutex);
    if (request.request_id() == 0) request.set_request_id(impl_->next_id++);
  }
  const std::uint64_t id = request.request_id();
  boost::asio::post(impl_->ioc, [this, r = std::move(request)]() mutable { impl_->engine->handle(std::move(r)); });
  return id;
}

std::optional<v1::Output> Client::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->queue.empty(); })) return std::nullopt;
  v1::Output o = std::move(impl_->queue.front());
  impl_->queue.pop_front();
  return o;
}

void Client::set_callback(std::function<void(const v1::Output&)> callback) {
  std::deque<v1::Output> backlog;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->callback = callback;
    backlog.swap(impl_->queue);
  }
  for (const auto& o : backlog) callback(o);
}

v1::Response Client::call(v1::Request request, std::chrono::milliseconds timeout) {
  const std::uint64_t id = submit(std::move(request));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(impl_->mutex);
  for (;;) {
    for (auto it = impl_->queue.begin(); it != impl_->queue.end(); ++it) {
      if (it->has_response() && it->response().request_id() == id) {
        v1::Response r = std::move(*it->mutable_response());
        impl_->queue.erase(it);
        return r;
      }
    }
    if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout) {
      v1::Response r;
      r.set_request_id(id);
      r.mutable_error()->set_code(v1::TIMEOUT);
      r.mutable_error()->set_message("no answer within the time allowed; the request may still complete");
      return r;
    }
  }
}

std::optional<v1::Event> Client::wait_event(const std::function<bool(const v1::Event&)>& pred,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(impl_->mutex);
  for (;;) {
    for (auto it = impl_->queue.begin(); it != impl_->queue.end(); ++it) {
      if (it->has_event() && pred(it->event())) {
        v1::Event e = std::move(*it->mutable_event());
        impl_->queue.erase(it);
        return e;
      }
    }
    if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

}  // namespace gchat::client
