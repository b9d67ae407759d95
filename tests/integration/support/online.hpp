#pragma once
// A client connected to `relay` (TLS or plain, as the relay runs) and authenticated with `key`
// (a fresh one if none); throws if the relay refuses.
#include <memory>
#include <stdexcept>

#include "relay_client.hpp"
#include "relay_process.hpp"

namespace gchat::testing {

inline std::unique_ptr<RelayClient> online(RelayProcess& relay, const DeviceKey* key = nullptr) {
  auto c = RelayClient::connect(relay.port(), relay.tls() ? relay.ca_file() : "");
  if (key) c->set_key(*key);
  auto ok = c->authenticate();
  if (!ok.has_auth_ok()) throw std::runtime_error("authentication failed: " + ok.DebugString());
  return c;
}

}  // namespace gchat::testing
