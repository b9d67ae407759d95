#pragma once
// A relay's address as people write it ("relay.moi.go.th:8443", "127.0.0.1:8443", "[::1]:8443"),
// and the TLS check that the relay's certificate names that host or address — one rule for the
// client core's connections and the tools' blocking client.
#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "gchat/base/result.hpp"

namespace gchat::net {

struct Endpoint {
  std::string host;  // a name or an address, without brackets
  std::string port;
  std::string to_string() const;
};

// HOST:PORT, [IPv6]:PORT, or HOST alone (the default port). Errc::invalid_argument for an empty
// host, a port that is not 1-65535, or stray brackets.
Result<Endpoint> parse_endpoint(std::string_view text, std::string_view default_port = "8443");

// The peer must present a certificate for `host`: its address (IP SAN) when `host` is one, else
// its DNS name (with SNI).
void expect_peer_name(SSL* ssl, const std::string& host);

}  // namespace gchat::net
