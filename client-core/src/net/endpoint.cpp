#include "gchat/net/endpoint.hpp"

#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace gchat::net {

std::string Endpoint::to_string() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view default_port) {
  Endpoint e;
  std::string_view host = text;
  std::string_view port = default_port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(Errc::invalid_argument, "an IPv6 address in brackets lacks ']'");
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(Errc::invalid_argument, "after ']' comes ':PORT'");
      port = rest.substr(1);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return fail(Errc::invalid_argument, "write an IPv6 address as [ADDRESS]:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return fail(Errc::invalid_argument, "the relay's address has no host: '" + std::string(text) + "'");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    return fail(Errc::invalid_argument, "the relay's port must be 1-65535, not '" + std::string(port) + "'");
  }
  e.host = std::string(host);
  e.port = std::string(port);
  return e;
}

void expect_peer_name(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), host.c_str(), 0);
    // SSL_set_tlsext_host_name is a macro with a C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
  }
}

}  // namespace gchat::net
