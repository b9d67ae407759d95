// gchat-loadgen: load for a relay on loopback. Opens many authenticated device connections (TLS or
// plain), puts them in groups, sends at a paced total rate for a bounded time, and reports
// deliveries per second and send-to-delivery latency percentiles; with --idle and --relay-pid it
// also reports the relay's resident memory per idle connection. See docs/benchmarks.md.
//
// It only ever connects to a loopback address, and every phase has a time bound.
#include <sodium.h>
#include <sys/resource.h>

#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "gchat/relay/auth.hpp"
#include "gchat/relay/v1/relay.pb.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace pb = gchat::relay::v1;
namespace po = boost::program_options;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;

constexpr std::uint64_t kMagic = 0x47434841544c4431ULL;  // "GCHATLD1": marks this tool's payloads
constexpr std::size_t kHeader = 16;                      // magic + send time (ns, steady clock)

struct Options {
  std::string host = "127.0.0.1";
  unsigned port = 8443;
  std::string ca;  // empty: plain TCP
  unsigned clients = 100;
  unsigned group_size = 10;
  double rate = 1000;  // sends per second in total
  double duration = 10;
  double warmup = 2;
  unsigned payload = 256;
  unsigned idle = 0;
  int relay_pid = 0;
  unsigned ack_every = 64;
  unsigned connect_parallel = 64;
  bool json = false;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

std::uint64_t read_u64(const std::string& s, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

void write_u64(std::string& s, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) s[at + 7 - i] = static_cast<char>(v >> (8 * i));
}

// Resident set size of a process, from /proc; 0 when unreadable.
std::uint64_t resident_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// Calls f for the frame in `buffer`, or for each frame of a Batch, in order; false if unparsable.
template <typename F>
bool for_each_frame(const beast::flat_buffer& buffer, F&& f) {
  pb::ServerFrame frame;
  if (!frame.ParseFromArray(buffer.data().data(), static_cast<int>(buffer.size()))) return false;
  if (!frame.has_batch()) {
    f(frame);
    return true;
  }
  for (const auto& bytes : frame.batch().frames()) {
    pb::ServerFrame inner;
    if (!inner.ParseFromString(bytes)) return false;
    f(inner);
  }
  return true;
}

struct Stats {
  std::uint64_t sent = 0;
  std::uint64_t send_ok = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t deliveries = 0;           // of this run's messages, whole run
  std::uint64_t window_deliveries = 0;    // delivered inside the measured window
  std::uint64_t disconnects = 0;
  std::vector<std::uint32_t> latency_us;  // messages sent inside the measured window
  std::string first_error;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using PlainWs = websocket::stream<beast::tcp_stream>;
  using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

 private:
  // Defined first: its return type is deduced, so it must precede its uses.
  template <typename F>
  auto visit(F&& f) {
    if (auto* t = std::get_if<std::unique_ptr<TlsWs>>(&ws_)) return f(**t);
    return f(*std::get<std::unique_ptr<PlainWs>>(ws_));
  }

 public:

  Connection(asio::io_context& ioc, asio::ssl::context* tls) : ioc_(ioc), tls_(tls) {
    public_key_.resize(crypto_sign_PUBLICKEYBYTES);
    secret_key_.resize(crypto_sign_SECRETKEYBYTES);
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key_.data()),
                        reinterpret_cast<unsigned char*>(secret_key_.data()));
  }
  ~Connection() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

  const std::string& public_key() const { return public_key_; }
  bool open() const { return open_; }

  awaitable<void> connect(const tcp::endpoint& ep, const std::string& host_header) {
    if (tls_) {
      auto ws = std::make_unique<TlsWs>(ioc_, *tls_);
      co_await beast::get_lowest_layer(*ws).async_connect(ep, use_awaitable);
      beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true));
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ws->next_layer().native_handle()),
                                    ep.address().to_string().c_str());
      co_await ws->next_layer().async_handshake(asio::ssl::stream_base::client, use_awaitable);
      ws_ = std::move(ws);
    } else {
      auto ws = std::make_unique<PlainWs>(ioc_);
      co_await beast::get_lowest_layer(*ws).async_connect(ep, use_awaitable);
      beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true));
      ws_ = std::move(ws);
    }
    co_await visit([&](auto& ws) {
      beast::get_lowest_layer(ws).expires_never();
      ws.binary(true);
      ws.read_message_max(4u << 20);
      return ws.async_handshake(host_header, "/v1", use_awaitable);
    });
    open_ = true;
  }

  // Hello, Challenge, Authenticate, AuthOk; throws on any refusal.
  awaitable<void> authenticate() {
    pb::ClientFrame hello;
    hello.set_request_id(next_request_id_++);
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->set_device_key(public_key_);
    hello.mutable_hello()->set_client_name("gchat-loadgen");
    auto challenge = co_await request(hello);
    if (!challenge.has_challenge()) throw std::runtime_error("no challenge: " + describe(challenge));
    const auto msg = gchat::relay::auth_message(gchat::as_bytes(challenge.challenge().relay_id()),
                                                gchat::as_bytes(challenge.challenge().nonce()));
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, msg.data(), msg.size(),
                         reinterpret_cast<const unsigned char*>(secret_key_.data()));
    pb::ClientFrame auth;
    auth.set_request_id(next_request_id_++);
    auth.mutable_authenticate()->set_signature(sig);
    auto ok = co_await request(auth);
    if (!ok.has_auth_ok()) throw std::runtime_error("authentication refused: " + describe(ok));
  }

  // Before the read loop runs: send one request and read until its answer.
  awaitable<pb::ServerFrame> request(pb::ClientFrame frame) {
    if (frame.request_id() == 0) frame.set_request_id(next_request_id_++);
    const std::string bytes = frame.SerializeAsString();
    co_await visit([&](auto& ws) { return ws.async_write(asio::buffer(bytes), use_awaitable); });
    for (;;) {
      beast::flat_buffer buffer;
      co_await visit([&](auto& ws) { return ws.async_read(buffer, use_awaitable); });
      std::optional<pb::ServerFrame> answer;
      const bool parsed = for_each_frame(buffer, [&](const pb::ServerFrame& f) {
        if (f.request_id() == frame.request_id()) answer = f;
      });
      if (!parsed) throw std::runtime_error("unparsable frame from the relay");
      if (answer) co_return *answer;
    }
  }

  // Queued write; one async_write in flight at a time.
  void send(const pb::ClientFrame& frame) {
    if (!open_) return;
    queue_.push_back(frame.SerializeAsString());
    if (!writing_) write_next();
  }

  std::uint64_t next_request_id() { return next_request_id_++; }

  template <typename OnFrame>
  awaitable<void> read_loop(OnFrame on_frame) {
    beast::flat_buffer buffer;
    try {
      for (;;) {
        buffer.clear();
        co_await visit([&](auto& ws) { return ws.async_read(buffer, use_awaitable); });
        for_each_frame(buffer, [&](const pb::ServerFrame& f) { on_frame(*this, f); });
      }
    } catch (const std::exception&) {
      open_ = false;
    }
  }

  void close() {
    if (!open_) return;
    open_ = false;
    visit([](auto& ws) {
      beast::error_code ec;
      beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(ws).socket().close(ec);
      return 0;
    });
  }

  static std::string describe(const pb::ServerFrame& f) {
    if (f.has_error()) return pb::ErrorCode_Name(f.error().code()) + ": " + f.error().message();
    return "unexpected frame " + std::to_string(f.body_case());
  }

 private:
  void write_next() {
    writing_ = true;
    visit([this](auto& ws) {
      ws.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->queue_.pop_front();
        if (ec) {
          self->open_ = false;
          self->queue_.clear();
        }
        if (!self->queue_.empty()) self->write_next();
        else self->writing_ = false;
      });
      return 0;
    });
  }

  asio::io_context& ioc_;
  asio::ssl::context* tls_;
  std::variant<std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws_;
  std::string public_key_;
  std::string secret_key_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool open_ = false;
  std::uint64_t next_request_id_ = 1;
};

class LoadGenerator {
 public:
  LoadGenerator(const Options& o, asio::io_context& ioc, asio::ssl::context* tls)
      : o_(o), ioc_(ioc), tls_(tls), endpoint_(asio::ip::make_address(o.host), static_cast<unsigned short>(o.port)) {
    const auto run_id = randombytes_random();
    run_tag_ = "loadgen-" + std::to_string(run_id) + "-";
  }

  awaitable<int> run() {
    const auto t_setup = Clock::now();
    active_ = co_await connect_many(o_.clients);
    const unsigned groups = o_.group_size ? o_.clients / o_.group_size : 0;
    for (unsigned g = 0; g < groups; ++g) co_await create_group(g);
    const double setup_s = std::chrono::duration<double>(Clock::now() - t_setup).count();
    if (!o_.json) {
      std::fprintf(stderr, "setup: %u connections authenticated, %u groups of %u, in %.1f s\n", o_.clients, groups,
                   o_.group_size, setup_s);
    }

    std::uint64_t rss_before = 0, rss_after = 0;
    std::vector<std::shared_ptr<Connection>> idle;
    if (o_.idle > 0) {
      rss_before = o_.relay_pid ? resident_bytes(o_.relay_pid) : 0;
      idle = co_await connect_many(o_.idle);
      co_await sleep(std::chrono::milliseconds(500));  // let the relay settle its buffers
      rss_after = o_.relay_pid ? resident_bytes(o_.relay_pid) : 0;
      if (!o_.json) std::fprintf(stderr, "idle: %u more connections authenticated\n", o_.idle);
    }

    // Traffic phase.
    for (auto& c : active_) {
      asio::co_spawn(ioc_, c->read_loop([this](Connection& conn, const pb::ServerFrame& f) { on_frame(conn, f); }),
                     asio::detached);
    }
    const auto start = Clock::now();
    window_start_ = start + to_duration(o_.warmup);
    window_end_ = window_start_ + to_duration(o_.duration);
    senders_running_ = 0;
    if (groups > 0 && o_.rate > 0) {
      const unsigned senders = groups * o_.group_size;
      const auto interval = to_duration(senders / o_.rate);
      std::mt19937_64 rng(randombytes_random());
      for (unsigned i = 0; i < senders; ++i) {
        const auto offset = std::chrono::nanoseconds(
            std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(1, interval.count()))(rng));
        asio::co_spawn(ioc_, send_loop(active_[i], i / o_.group_size, start + offset, interval), asio::detached);
      }
    }
    co_await sleep_until(window_end_);
    // Let the last answers and deliveries arrive: until every send is answered and every accepted
    // one delivered to every member, or 10 s.
    const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
    auto settled = [&] {
      return senders_running_ == 0 && stats_.send_ok + stats_.rate_limited + stats_.send_errors >= stats_.sent &&
             stats_.deliveries >= stats_.send_ok * o_.group_size;
    };
    while (!settled() && Clock::now() < drain_deadline) {
      co_await sleep(std::chrono::milliseconds(20));
    }
    for (auto& c : active_) {
      if (!c->open()) ++stats_.disconnects;
    }
    for (auto& c : idle) {
      if (!c->open()) ++stats_.disconnects;
    }
    const int rc = summarise(groups, rss_before, rss_after);
    for (auto& c : active_) c->close();
    for (auto& c : idle) c->close();
    co_return rc;
  }

 private:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  awaitable<void> sleep(Clock::duration d) { co_await sleep_until(Clock::now() + d); }
  awaitable<void> sleep_until(Clock::time_point t) {
    asio::steady_timer timer(ioc_);
    timer.expires_at(t);
    co_await timer.async_wait(use_awaitable);
  }

  awaitable<std::vector<std::shared_ptr<Connection>>> connect_many(unsigned n) {
    std::vector<std::shared_ptr<Connection>> conns(n);
    unsigned next = 0, done = 0;
    std::string failure;
    const std::string host_header = o_.host + ":" + std::to_string(o_.port);
    auto worker = [&]() -> awaitable<void> {
      while (next < n && failure.empty()) {
        const unsigned i = next++;
        auto c = std::make_shared<Connection>(ioc_, tls_);
        try {
          co_await c->connect(endpoint_, host_header);
          co_await c->authenticate();
          conns[i] = std::move(c);
        } catch (const std::exception& e) {
          if (failure.empty()) failure = "connection " + std::to_string(i) + ": " + e.what();
        }
        ++done;
      }
    };
    const unsigned workers = std::max(1u, std::min(o_.connect_parallel, n));
    for (unsigned w = 0; w < workers; ++w) asio::co_spawn(ioc_, worker(), asio::detached);
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (done < n && (failure.empty() || done < next) && Clock::now() < deadline) {
      co_await sleep(std::chrono::milliseconds(5));
    }
    if (!failure.empty()) throw std::runtime_error(failure);
    if (done < n) throw std::runtime_error("connecting took longer than 120 s");
    co_return conns;
  }

  awaitable<void> create_group(unsigned g) {
    auto& creator = *active_[g * o_.group_size];
    pb::ClientFrame f;
    auto* cg = f.mutable_create_group();
    cg->set_group_id(group_id(g));
    for (unsigned m = 1; m < o_.group_size; ++m) cg->add_member_keys(active_[g * o_.group_size + m]->public_key());
    auto reply = co_await creator.request(f);
    if (!reply.has_create_group_ok()) {
      throw std::runtime_error("create group " + std::to_string(g) + ": " + Connection::describe(reply));
    }
  }

  std::string group_id(unsigned g) const { return run_tag_ + std::to_string(g); }

  awaitable<void> send_loop(std::shared_ptr<Connection> c, unsigned group, Clock::time_point next,
                            Clock::duration interval) {
    ++senders_running_;
    asio::steady_timer timer(ioc_);
    const std::string gid = group_id(group);
    std::string payload(std::max<std::size_t>(kHeader, o_.payload), '\0');
    write_u64(payload, 0, kMagic);
    pb::ClientFrame f;
    f.mutable_send()->set_group_id(gid);
    f.mutable_send()->set_kind(pb::APPLICATION);
    while (next < window_end_ && c->open()) {
      timer.expires_at(next);
      co_await timer.async_wait(use_awaitable);
      write_u64(payload, 8, now_ns());
      f.set_request_id(c->next_request_id());
      f.mutable_send()->set_payload(payload);
      c->send(f);
      ++stats_.sent;
      next += interval;
      // A loop that fell behind (the machine was busy) does not burst to catch up.
      const auto now = Clock::now();
      if (next + std::chrono::milliseconds(100) < now) next = now;
    }
    --senders_running_;
  }

  void on_frame(Connection& c, const pb::ServerFrame& f) {
    switch (f.body_case()) {
      case pb::ServerFrame::kDelivery: {
        const auto& d = f.delivery();
        const auto& p = d.payload();
        if (p.size() < kHeader || read_u64(p, 0) != kMagic) return;
        const auto now = Clock::now();
        const auto sent_at = Clock::time_point(std::chrono::nanoseconds(read_u64(p, 8)));
        ++stats_.deliveries;
        if (now >= window_start_ && now < window_end_) ++stats_.window_deliveries;
        if (sent_at >= window_start_ && sent_at < window_end_ && stats_.latency_us.size() < kMaxSamples) {
          stats_.latency_us.push_back(static_cast<std::uint32_t>(
              std::min<std::int64_t>(UINT32_MAX, std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at).count())));
        }
        if (o_.ack_every > 0 && d.seq() % o_.ack_every == 0) {
          pb::ClientFrame ack;
          ack.set_request_id(c.next_request_id());
          ack.mutable_ack()->set_group_id(d.group_id());
          ack.mutable_ack()->set_seq(d.seq());
          c.send(ack);
        }
        return;
      }
      case pb::ServerFrame::kSendOk: ++stats_.send_ok; return;
      case pb::ServerFrame::kError:
        if (f.error().code() == pb::RATE_LIMITED) ++stats_.rate_limited;
        else ++stats_.send_errors;
        if (stats_.first_error.empty()) stats_.first_error = Connection::describe(f);
        return;
      case pb::ServerFrame::kNotice:
        if (stats_.first_error.empty()) stats_.first_error = "notice: " + f.notice().reason().message();
        return;
      default: return;
    }
  }

  int summarise(unsigned groups, std::uint64_t rss_before, std::uint64_t rss_after) {
    auto& lat = stats_.latency_us;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double q) -> double {
      if (lat.empty()) return 0;
      const auto i = std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())));
      return lat[i] / 1000.0;
    };
    const std::uint64_t expected = stats_.send_ok * o_.group_size;
    const std::uint64_t missing = expected > stats_.deliveries ? expected - stats_.deliveries : 0;
    const double deliveries_per_s = static_cast<double>(stats_.window_deliveries) / o_.duration;
    const double per_idle =
        o_.idle && rss_after > rss_before ? static_cast<double>(rss_after - rss_before) / o_.idle : 0.0;
    const std::uint64_t answered = stats_.send_ok + stats_.rate_limited + stats_.send_errors;
    const std::uint64_t unanswered = stats_.sent > answered ? stats_.sent - answered : 0;
    const int rc = (stats_.send_errors || stats_.rate_limited || unanswered || missing || stats_.disconnects) ? 1 : 0;
    if (o_.json) {
      std::printf(
          "{\"clients\":%u,\"groups\":%u,\"group_size\":%u,\"offered_sends_per_s\":%.0f,\"duration_s\":%.1f,"
          "\"sent\":%llu,\"unanswered\":%llu,\"send_ok\":%llu,\"rate_limited\":%llu,\"send_errors\":%llu,\"deliveries\":%llu,"
          "\"missing\":%llu,\"disconnects\":%llu,\"deliveries_per_s\":%.0f,\"latency_ms\":{\"p50\":%.3f,"
          "\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"samples\":%zu},\"idle_connections\":%u,"
          "\"relay_rss_before\":%llu,\"relay_rss_after\":%llu,\"relay_bytes_per_idle_connection\":%.0f}\n",
          o_.clients, groups, o_.group_size, o_.rate, o_.duration, ull(stats_.sent), ull(unanswered), ull(stats_.send_ok),
          ull(stats_.rate_limited), ull(stats_.send_errors), ull(stats_.deliveries), ull(missing),
          ull(stats_.disconnects), deliveries_per_s, pct(0.50), pct(0.90), pct(0.99), pct(0.999),
          lat.empty() ? 0.0 : lat.back() / 1000.0, lat.size(), o_.idle, ull(rss_before), ull(rss_after), per_idle);
    } else {
      std::printf("offered: %.0f sends/s = %.0f deliveries/s, %u groups of %u, %.1f s measured after %.1f s warm-up\n",
                  o_.rate, o_.rate * o_.group_size, groups, o_.group_size, o_.duration, o_.warmup);
      std::printf("sends: %llu sent, %llu accepted, %llu rate-limited, %llu refused, %llu unanswered\n",
                  ull(stats_.sent), ull(stats_.send_ok), ull(stats_.rate_limited), ull(stats_.send_errors),
                  ull(unanswered));
      std::printf("deliveries: %llu (expected %llu, missing %llu); %.0f deliveries/s in the window\n",
                  ull(stats_.deliveries), ull(expected), ull(missing), deliveries_per_s);
      std::printf("latency send->delivery (ms, %zu samples): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
                  lat.size(), pct(0.50), pct(0.90), pct(0.99), pct(0.999), lat.empty() ? 0.0 : lat.back() / 1000.0);
      if (o_.idle) {
        std::printf("idle connections: %u; relay RSS %.1f MiB -> %.1f MiB = %.0f bytes per idle connection\n", o_.idle,
                    rss_before / 1048576.0, rss_after / 1048576.0, per_idle);
      }
      if (stats_.disconnects) std::printf("disconnected: %llu connections\n", ull(stats_.disconnects));
      if (!stats_.first_error.empty()) std::printf("first error: %s\n", stats_.first_error.c_str());
    }
    return rc;
  }

  static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

  static constexpr std::size_t kMaxSamples = 50'000'000;

  const Options& o_;
  asio::io_context& ioc_;
  asio::ssl::context* tls_;
  tcp::endpoint endpoint_;
  std::string run_tag_;
  std::vector<std::shared_ptr<Connection>> active_;
  Clock::time_point window_start_, window_end_;
  unsigned senders_running_ = 0;
  Stats stats_;
};

int parse(int argc, char** argv, Options& o) {
  po::options_description opts("gchat-loadgen options");
  // clang-format off
  opts.add_options()
    ("help,h", "show this help")
    ("host", po::value(&o.host)->default_value(o.host), "relay address; loopback only (127.0.0.1 or ::1)")
    ("port", po::value(&o.port)->default_value(o.port), "relay port")
    ("ca", po::value(&o.ca), "CA certificate (PEM) to verify the relay's TLS certificate; without it, plain TCP")
    ("clients", po::value(&o.clients)->default_value(o.clients), "active connections (each its own device key)")
    ("group-size", po::value(&o.group_size)->default_value(o.group_size), "members per group; clients are split into groups")
    ("rate", po::value(&o.rate)->default_value(o.rate), "sends per second in total (each delivered to group-size members)")
    ("duration", po::value(&o.duration)->default_value(o.duration), "measured seconds (at most 600)")
    ("warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds of traffic before measuring")
    ("payload", po::value(&o.payload)->default_value(o.payload), "payload bytes per message (at least 16)")
    ("idle", po::value(&o.idle)->default_value(o.idle), "extra connections that authenticate and stay idle")
    ("relay-pid", po::value(&o.relay_pid)->default_value(o.relay_pid), "relay process id, to read its memory")
    ("ack-every", po::value(&o.ack_every)->default_value(o.ack_every), "acknowledge every Nth sequence number (0: never)")
    ("connect-parallel", po::value(&o.connect_parallel)->default_value(o.connect_parallel), "handshakes in flight")
    ("json", "print one JSON object instead of text");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "gchat-loadgen: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "usage: gchat-loadgen [options]\n\n" << opts;
    return 0;
  }
  o.json = vm.count("json") > 0;
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(o.host, ec);
  std::string problem;
  if (ec || !addr.is_loopback()) problem = "--host must be a loopback address (127.0.0.1 or ::1)";
  else if (o.port == 0 || o.port > 65535) problem = "--port: 1 to 65535";
  else if (o.clients > 100000 || o.idle > 200000) problem = "--clients at most 100000, --idle at most 200000";
  else if (o.group_size > 0 && o.clients % o.group_size != 0) problem = "--clients must be a multiple of --group-size";
  else if (!(o.duration > 0) || o.duration > 600 || o.warmup < 0 || o.warmup > 60) problem = "--duration 0..600 s, --warmup 0..60 s";
  else if (o.rate < 0 || o.rate > 1e6) problem = "--rate: 0 to 1000000";
  else if (o.payload < kHeader || o.payload > (1u << 19)) problem = "--payload: 16 to 524288";
  else if (o.connect_parallel < 1) problem = "--connect-parallel: at least 1";
  if (!problem.empty()) {
    std::cerr << "gchat-loadgen: " << problem << "\n";
    return 2;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const int rc = parse(argc, argv, o); rc >= 0) return rc;
  if (sodium_init() < 0) {
    std::cerr << "gchat-loadgen: libsodium failed to initialise\n";
    return 1;
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  asio::io_context ioc(1);
  std::unique_ptr<asio::ssl::context> tls;
  if (!o.ca.empty()) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    tls->load_verify_file(o.ca, ec);
    if (ec) {
      std::cerr << "gchat-loadgen: cannot read CA file '" << o.ca << "': " << ec.message() << "\n";
      return 2;
    }
    tls->set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_mode(tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  }
  LoadGenerator gen(o, ioc, tls.get());
  int rc = 1;
  asio::co_spawn(ioc, gen.run(), [&](std::exception_ptr e, int result) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "gchat-loadgen: " << ex.what() << "\n";
      }
      rc = 1;
    } else {
      rc = result;
    }
    ioc.stop();
  });
  ioc.run();
  return rc;
}
