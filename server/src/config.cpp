#include "gchat/server/config.hpp"

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>

#include "gchat/base/bytes.hpp"

namespace gchat::server {

namespace po = boost::program_options;

const char* to_string(Transport t) noexcept { return t == Transport::tls ? "tls" : "plain"; }
const char* to_string(Registration r) noexcept { return r == Registration::open ? "open" : "closed"; }
const char* to_string(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

namespace {

template <typename Enum, std::size_t N>
Result<Enum> parse_enum(const std::string& key, const std::string& value,
                        const std::pair<const char*, Enum> (&choices)[N]) {
  std::string allowed;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    allowed += allowed.empty() ? name : std::string(", ") + name;
  }
  return fail(Errc::config_invalid, key + ": '" + value + "' is not one of " + allowed);
}

}  // namespace

std::string Config::to_string() const {
  std::ostringstream o;
  o << "listen = " << listen << "\n"
    << "port = " << port << "\n"
    << "port-file = " << port_file << "\n"
    << "transport = " << server::to_string(transport) << "\n"
    << "tls-cert = " << tls_cert << "\n"
    << "tls-key = " << tls_key << "\n"
    << "db = " << db << "\n"
    << "registration = " << server::to_string(registration) << "\n"
    << "relay-id = " << relay_id << "\n"
    << "root-key = " << root_key << "\n"
    << "signing-key = " << signing_key << "\n"
    << "threads = " << threads << "\n"
    << "max-frame-bytes = " << max_frame_bytes << "\n"
    << "max-payload-bytes = " << max_payload_bytes << "\n"
    << "send-queue-max-bytes = " << send_queue_max_bytes << "\n"
    << "send-queue-max-frames = " << send_queue_max_frames << "\n"
    << "rate-limit-per-sec = " << rate_limit_per_sec << "\n"
    << "rate-limit-burst = " << rate_limit_burst << "\n"
    << "idle-timeout-sec = " << idle_timeout_sec << "\n"
    << "max-connections = " << max_connections << "\n"
    << "max-connections-per-device = " << max_connections_per_device << "\n"
    << "message-ttl-days = " << message_ttl_days << "\n"
    << "max-batch = " << max_batch << "\n"
    << "max-key-packages-per-device = " << max_key_packages_per_device << "\n"
    << "max-group-members = " << max_group_members << "\n"
    << "log-level = " << server::to_string(log_level) << "\n";
  return o.str();
}

Status Config::validate() const {
  if (transport == Transport::tls && (tls_cert.empty() || tls_key.empty())) {
    return fail(Errc::config_invalid, "transport = tls needs tls-cert and tls-key");
  }
  if (db.empty()) return fail(Errc::config_invalid, "db: a database path is required");
  if (relay_id.empty() || relay_id.size() > 64) return fail(Errc::config_invalid, "relay-id: 1 to 64 bytes");
  if (!root_key.empty()) {
    auto key = from_hex(root_key);
    if (!key || key->size() != 32) return fail(Errc::config_invalid, "root-key: 64 hex digits (an Ed25519 public key)");
  }
  if (signing_key.empty()) return fail(Errc::config_invalid, "signing-key: a file path is required");
  if (threads < 1 || threads > 256) return fail(Errc::config_invalid, "threads: 1 to 256");
  if (max_frame_bytes < 1024) return fail(Errc::config_invalid, "max-frame-bytes: at least 1024");
  if (max_payload_bytes < 1 || max_payload_bytes + 1024 > max_frame_bytes) {
    return fail(Errc::config_invalid, "max-payload-bytes: at least 1 and 1024 below max-frame-bytes");
  }
  if (send_queue_max_frames < 2 || send_queue_max_bytes < max_frame_bytes) {
    return fail(Errc::config_invalid, "send-queue-max-frames >= 2 and send-queue-max-bytes >= max-frame-bytes");
  }
  if (!(rate_limit_per_sec > 0) || rate_limit_burst < 1) {
    return fail(Errc::config_invalid, "rate-limit-per-sec > 0 and rate-limit-burst >= 1");
  }
  if (idle_timeout_sec < 1) return fail(Errc::config_invalid, "idle-timeout-sec: at least 1");
  if (max_connections < 1 || max_connections_per_device < 1) {
    return fail(Errc::config_invalid, "max-connections and max-connections-per-device: at least 1");
  }
  if (message_ttl_days < 1) return fail(Errc::config_invalid, "message-ttl-days: at least 1");
  if (max_batch < 1) return fail(Errc::config_invalid, "max-batch: at least 1");
  return {};
}

Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  Config& c = cl.config;
  std::string config_file, transport, registration, log_level;
  unsigned port = c.port;

  po::options_description opts("gchat-relay options");
  // clang-format off
  opts.add_options()
    ("help,h", "show this help")
    ("config", po::value(&config_file), "configuration file (key = value lines)")
    ("print-config", "print the effective configuration and exit")
    ("listen", po::value(&c.listen)->default_value(c.listen), "address to listen on")
    ("port", po::value(&port)->default_value(port), "TCP port; 0 picks a free one")
    ("port-file", po::value(&c.port_file), "write the bound port to this file once listening")
    ("transport", po::value(&transport)->default_value(to_string(c.transport)), "tls or plain")
    ("tls-cert", po::value(&c.tls_cert), "PEM certificate chain")
    ("tls-key", po::value(&c.tls_key), "PEM private key")
    ("db", po::value(&c.db)->default_value(c.db), "SQLite database file")
    ("registration", po::value(&registration)->default_value(to_string(c.registration)),
       "open (devices register on first authentication) or closed")
    ("relay-id", po::value(&c.relay_id)->default_value(c.relay_id), "identifier bound into device signatures")
    ("root-key", po::value(&c.root_key), "pinned government root public key, hex; enables certificate mode")
    ("signing-key", po::value(&c.signing_key)->default_value(c.signing_key),
       "file with the relay's Ed25519 seed (hex); created when missing")
    ("threads", po::value(&c.threads)->default_value(c.threads), "network threads")
    ("max-frame-bytes", po::value(&c.max_frame_bytes)->default_value(c.max_frame_bytes), "largest WebSocket message")
    ("max-payload-bytes", po::value(&c.max_payload_bytes)->default_value(c.max_payload_bytes), "largest message payload")
    ("send-queue-max-bytes", po::value(&c.send_queue_max_bytes)->default_value(c.send_queue_max_bytes),
       "per-connection send queue bound, bytes")
    ("send-queue-max-frames", po::value(&c.send_queue_max_frames)->default_value(c.send_queue_max_frames),
       "per-connection send queue bound, frames")
    ("rate-limit-per-sec", po::value(&c.rate_limit_per_sec)->default_value(c.rate_limit_per_sec), "sends per second")
    ("rate-limit-burst", po::value(&c.rate_limit_burst)->default_value(c.rate_limit_burst), "send burst")
    ("idle-timeout-sec", po::value(&c.idle_timeout_sec)->default_value(c.idle_timeout_sec), "close idle connections")
    ("max-connections", po::value(&c.max_connections)->default_value(c.max_connections), "open connections")
    ("max-connections-per-device", po::value(&c.max_connections_per_device)->default_value(c.max_connections_per_device),
       "authenticated connections per device key")
    ("message-ttl-days", po::value(&c.message_ttl_days)->default_value(c.message_ttl_days), "undelivered message lifetime")
    ("max-batch", po::value(&c.max_batch)->default_value(c.max_batch), "writes per storage transaction")
    ("max-key-packages-per-device", po::value(&c.max_key_packages_per_device)->default_value(c.max_key_packages_per_device),
       "one-time key packages stored per device")
    ("max-group-members", po::value(&c.max_group_members)->default_value(c.max_group_members), "members per group")
    ("log-level", po::value(&log_level)->default_value(to_string(c.log_level)), "debug, info, warn or error")
    ("key", po::value(&cl.device_key_hex), "register-device: the device's Ed25519 public key, hex");
  // clang-format on

  po::variables_map vm;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "register-device") {
      cl.action = CommandLine::Action::register_device;
      args.erase(args.begin());
    }
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    if (vm.count("config")) {
      const auto path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) return fail(Errc::config_invalid, "config: cannot open '" + path + "'");
      // Command-line values were stored first, so they win over the file.
      po::store(po::parse_config_file(in, opts), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    return fail(Errc::config_invalid, e.what());
  }
  std::ostringstream help;
  help << "usage: gchat-relay [--config FILE] [options]\n"
          "       gchat-relay register-device --db PATH --key HEX\n\n"
       << opts;
  cl.help_text = help.str();
  if (vm.count("help")) {
    cl.action = CommandLine::Action::help;
    return cl;
  }
  if (port > 65535) return fail(Errc::config_invalid, "port: 0 to 65535");
  c.port = static_cast<std::uint16_t>(port);
  GCHAT_TRY(c.transport, parse_enum<Transport>("transport", transport, {{"tls", Transport::tls}, {"plain", Transport::plain}}));
  GCHAT_TRY(c.registration, parse_enum<Registration>("registration", registration,
                                                     {{"open", Registration::open}, {"closed", Registration::closed}}));
  GCHAT_TRY(c.log_level, parse_enum<LogLevel>("log-level", log_level,
                                              {{"debug", LogLevel::debug}, {"info", LogLevel::info},
                                               {"warn", LogLevel::warn}, {"error", LogLevel::error}}));
  if (vm.count("print-config")) cl.action = CommandLine::Action::print_config;
  if (cl.action == CommandLine::Action::register_device) {
    if (cl.device_key_hex.empty()) return fail(Errc::config_invalid, "register-device needs --key HEX");
    return cl;
  }
  if (cl.action == CommandLine::Action::run) GCHAT_TRY_STATUS(c.validate());
  return cl;
}

}  // namespace gchat::server
