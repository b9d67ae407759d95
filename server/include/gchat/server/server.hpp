#pragma once
// The relay process: listener, TLS, signal handling, periodic expiry, graceful shutdown.

#include "gchat/base/result.hpp"
#include "gchat/server/config.hpp"

namespace gchat::server {

// Runs until SIGINT or SIGTERM; returns once every in-flight write is durable and answered.
Status run_relay(const Config& config);

// `gchat-relay register-device`: adds a device key to a database for registration = closed.
Status register_device(const std::string& db_path, const std::string& key_hex);

}  // namespace gchat::server
