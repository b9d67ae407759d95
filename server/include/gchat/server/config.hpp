#pragma once
// The relay's configuration: one struct, read from an optional INI-style file and overridden by
// command-line flags of the same names. Every default is in this header and in
// server/gchat-relay.conf.example.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gchat/base/result.hpp"

namespace gchat::server {

enum class Transport { tls, plain };
enum class Registration { open, closed };
enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

struct Config {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string port_file;  // written with the bound port once listening (for port 0)
  Transport transport = Transport::tls;
  std::string tls_cert;  // PEM certificate chain
  std::string tls_key;   // PEM private key
  std::string db = "var/relay.db";
  Registration registration = Registration::closed;
  std::string relay_id = "gchat-relay";
  // The pinned government root key (64 hex digits). When set, devices must present a certificate
  // chain to it (certificate mode) and administrative acts are accepted; when empty, devices
  // authenticate by key alone under `registration` (development and transport tests only).
  std::string root_key;
  // The relay's own Ed25519 key (a 32-byte seed, hex, in a file readable only by the relay):
  // signs revocation lists and audit checkpoints. Created on first start when missing.
  std::string signing_key = "var/relay-signing.key";
  unsigned threads = 1;

  std::uint32_t max_frame_bytes = 1 << 20;         // whole WebSocket message
  std::uint32_t max_payload_bytes = 512 * 1024;    // SendMessage.payload
  std::uint32_t send_queue_max_bytes = 1 << 20;    // per connection, before live deliveries pause
  std::uint32_t send_queue_max_frames = 1024;
  double rate_limit_per_sec = 200.0;               // sends per device connection
  double rate_limit_burst = 400.0;
  std::uint32_t idle_timeout_sec = 120;
  std::uint32_t max_connections = 100000;
  std::uint32_t max_connections_per_device = 4;
  std::uint32_t message_ttl_days = 30;
  std::uint32_t max_batch = 512;                   // writes per storage transaction
  std::uint32_t max_key_packages_per_device = 200;
  std::uint32_t max_group_members = 100000;
  LogLevel log_level = LogLevel::info;

  // Human-readable "key = value" lines, every key, in the config-file syntax.
  std::string to_string() const;
  Status validate() const;
};

struct CommandLine {
  enum class Action { run, print_config, register_device, help };
  Action action = Action::run;
  Config config;
  std::string device_key_hex;  // for register-device
  std::string help_text;
};

// Errors are Errc::config_invalid with a message naming the key.
Result<CommandLine> parse_command_line(int argc, const char* const* argv);

const char* to_string(Transport t) noexcept;
const char* to_string(Registration r) noexcept;
const char* to_string(LogLevel l) noexcept;

}  // namespace gchat::server
