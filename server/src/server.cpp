#include "gchat/server/server.hpp"

#include <sodium.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "certificates.hpp"
#include "connection.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

constexpr auto kExpiryInterval = std::chrono::hours(1);
// Certificates come closer to their expiry with time alone: the gauges are recounted this often
// (and after every change).
constexpr auto kCertificateGaugeInterval = std::chrono::minutes(10);
constexpr auto kShutdownGrace = std::chrono::seconds(5);

Result<std::unique_ptr<ssl::context>> make_tls_context(const Config& c) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  ctx->use_certificate_chain_file(c.tls_cert, ec);
  if (ec) return fail(Errc::config_invalid, "tls-cert '" + c.tls_cert + "': " + ec.message());
  ctx->use_private_key_file(c.tls_key, ssl::context::pem, ec);
  if (ec) return fail(Errc::config_invalid, "tls-key '" + c.tls_key + "': " + ec.message());
  // Idle connections give their TLS record buffers back: the largest part of an idle connection's memory.
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

Status write_port_file(const std::string& path, unsigned short port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return fail(Errc::io_failure, "cannot write port file '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::io_failure, "cannot rename port file to '" + path + "': " + ec.message());
  return {};
}

// The relay's signing key: a hex seed in a file only the relay's user may read, created (with its
// folder) on first start. Like the TLS key, it is protected by file permissions.
Result<identity::SigningKey> load_signing_key(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (auto parent = fs::path(path).parent_path(); !parent.empty()) fs::create_directories(parent, ec);
    auto key = identity::SigningKey::generate();
    const std::string hex = to_hex(key.seed().view());
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << hex << "\n";
      if (!out) return fail(Errc::io_failure, "signing-key: cannot write '" + tmp + "'");
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    fs::rename(tmp, path, ec);
    if (ec) return fail(Errc::io_failure, "signing-key: cannot create '" + path + "': " + ec.message());
    log::info("signing_key_created", {{"path", path}});
  }
  const auto perms = fs::status(path, ec).permissions();
  if (ec) return fail(Errc::io_failure, "signing-key: cannot read '" + path + "'");
  if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    return fail(Errc::config_invalid, "signing-key: '" + path + "' is readable by others; chmod 600 it");
  }
  std::ifstream in(path);
  std::string hex;
  in >> hex;
  auto seed = from_hex(hex);
  if (!seed) return fail(Errc::config_invalid, "signing-key: '" + path + "' does not hold a hex seed");
  auto key = identity::SigningKey::from_seed(*seed);
  sodium_memzero(seed->data(), seed->size());
  sodium_memzero(hex.data(), hex.size());
  if (!key.ok()) return fail(Errc::config_invalid, "signing-key: " + key.error().message);
  return key;
}

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, Relay& relay, ssl::context* tls)
      : ioc_(ioc), relay_(relay), tls_(tls), acceptor_(ioc), backoff_(ioc) {}

  Result<unsigned short> open(const std::string& address, unsigned short port) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) return fail(Errc::config_invalid, "listen: '" + address + "' is not an IP address");
    const tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::io_failure, "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
    return acceptor_.local_endpoint().port();
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](boost::system::error_code ec,
                                                                                tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        if (self->tls_) {
          std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(self->relay_, std::move(socket), *self->tls_)
              ->run();
        } else {
          std::make_shared<Connection<beast::tcp_stream>>(self->relay_, std::move(socket))->run();
        }
      } else {
        // Out of descriptors or memory: accepting again at once would spin. Back off briefly;
        // the pending connections wait in the listen backlog meanwhile.
        log::warn("accept_failed", {{"error", ec.message()}});
        self->backoff_.expires_after(std::chrono::milliseconds(100));
        self->backoff_.async_wait([self](boost::system::error_code wait_ec) {
          if (!wait_ec && self->acceptor_.is_open()) self->accept();
        });
        return;
      }
      self->accept();
    });
  }

  void close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
  }

 private:
  asio::io_context& ioc_;
  Relay& relay_;
  ssl::context* tls_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
};

void schedule_expiry(asio::steady_timer& timer, Relay& relay, bool first) {
  timer.expires_after(first ? std::chrono::seconds(1) : std::chrono::duration_cast<std::chrono::seconds>(kExpiryInterval));
  timer.async_wait([&timer, &relay](boost::system::error_code ec) {
    if (ec) return;
    const auto ttl_ms = std::uint64_t{relay.config().message_ttl_days} * 24 * 3600 * 1000;
    const auto now = wire::now_ms();
    const auto cutoff = now > ttl_ms ? now - ttl_ms : 0;
    auto removed = std::make_shared<std::uint64_t>(0);
    relay.storage().submit(StorageWriter::Request{
        [cutoff, removed](Store& store) -> Status {
          GCHAT_TRY(*removed, store.expire_messages(cutoff));
          return {};
        },
        [&relay, removed](const Status& s) {
          if (!s.ok()) {
            log::error("expiry_failed", {{"error", s.error().to_string()}});
          } else if (*removed > 0) {
            relay.metrics().messages_expired += *removed;
            log::info("messages_expired", {{"count", std::to_string(*removed)}});
          }
        }});
    schedule_expiry(timer, relay, false);
  });
}

void schedule_certificate_gauges(asio::steady_timer& timer, Relay& relay) {
  refresh_expiry_gauges(relay);
  timer.expires_after(kCertificateGaugeInterval);
  timer.async_wait([&timer, &relay](boost::system::error_code ec) {
    if (!ec) schedule_certificate_gauges(timer, relay);
  });
}

}  // namespace

Status run_relay(const Config& config) {
  if (sodium_init() < 0) return fail(Errc::internal, "libsodium failed to initialise");
  log::set_level(config.log_level);

  std::unique_ptr<ssl::context> tls;
  if (config.transport == Transport::tls) {
    GCHAT_TRY(tls, make_tls_context(config));
  }

  if (auto parent = std::filesystem::path(config.db).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  GCHAT_TRY(auto store, open_sqlite_store(config.db));
  RelayTrust trust;
  GCHAT_TRY(trust.signing_key, load_signing_key(config.signing_key));
  if (!config.root_key.empty()) trust.root_key = *from_hex(config.root_key);
  {
    GCHAT_TRY(auto stored_list, store->latest_revocation_list());
    if (stored_list && !trust.revocation_list.ParseFromArray(stored_list->data(), static_cast<int>(stored_list->size()))) {
      return fail(Errc::storage_corrupt, "the stored revocation list does not parse");
    }
  }
  Relay relay(config, std::make_unique<StorageWriter>(std::move(store), config.max_batch), std::move(trust));
  if (!relay.certificate_mode()) {
    log::warn("no_root_key", {{"effect", "devices authenticate by key alone; set root-key in production"}});
  }

  asio::io_context ioc(static_cast<int>(config.threads));
  auto listener = std::make_shared<Listener>(ioc, relay, tls.get());
  GCHAT_TRY(auto port, listener->open(config.listen, config.port));
  if (!config.port_file.empty()) GCHAT_TRY_STATUS(write_port_file(config.port_file, port));
  listener->accept();
  log::info("listening", {{"address", config.listen}, {"port", std::to_string(port)},
                          {"transport", to_string(config.transport)}, {"db", config.db},
                          {"registration", to_string(config.registration)}, {"threads", std::to_string(config.threads)},
                          {"certificates", relay.certificate_mode() ? "required" : "off"},
                          {"relay_key", to_hex(relay.signing_key().public_key())}});

  asio::steady_timer expiry(ioc);
  schedule_expiry(expiry, relay, true);
  asio::steady_timer certificate_gauges(ioc);
  if (relay.certificate_mode()) schedule_certificate_gauges(certificate_gauges, relay);

  // Graceful shutdown: stop accepting, make every queued write durable and answered, tell every
  // session, and stop once they are closed (or after a grace period).
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> wait_for_sessions = [&] {
    if (relay.metrics().connections_open == 0 || std::chrono::steady_clock::now() > deadline) {
      ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](boost::system::error_code) { wait_for_sessions(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    log::info("shutting_down", {{"signal", std::to_string(signo)}});
    relay.begin_shutdown();
    listener->close();
    expiry.cancel();
    certificate_gauges.cancel();
    // Give in-flight requests a moment to reach the storage writer, then notify sessions; their
    // replies are queued before the notice because the writer finishes its queue first.
    drain.expires_after(std::chrono::milliseconds(50));
    drain.async_wait([&](boost::system::error_code) {
      for (auto& s : relay.all_sessions()) s->shutdown();
      deadline = std::chrono::steady_clock::now() + kShutdownGrace;
      wait_for_sessions();
    });
  });

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < config.threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : workers) t.join();
  relay.storage().stop();
  log::info("stopped", {{"connections_served", std::to_string(relay.metrics().connections_total.load())}});
  return {};
}

Status register_device(const std::string& db_path, const std::string& key_hex) {
  auto key = from_hex(key_hex);
  if (!key || key->size() != 32) return fail(Errc::invalid_argument, "--key must be 64 hex digits (an Ed25519 public key)");
  GCHAT_TRY(auto store, open_sqlite_store(db_path));
  GCHAT_TRY_STATUS(store->begin());
  auto found = store->find_device(*key);
  if (!found.ok()) {
    store->rollback();
    return fail(std::move(found).error());
  }
  if (!*found) {
    auto reg = store->register_device(*key, wire::now_ms());
    if (!reg.ok()) {
      store->rollback();
      return fail(std::move(reg).error());
    }
  }
  return store->commit();
}

}  // namespace gchat::server
