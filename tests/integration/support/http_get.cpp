#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "relay_process.hpp"

namespace gchat::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string http_get(unsigned short port, const std::string& target, const std::string& ca_file) {
  asio::io_context ioc;
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code result = asio::error::would_block;

  auto exchange = [&](auto& stream) {
    http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
      if (ec) return void(result = ec);
      http::async_read(stream, buffer, res, [&](beast::error_code ec2, std::size_t) { result = ec2; });
    });
  };
  if (ca_file.empty()) {
    beast::tcp_stream stream(ioc);
    stream.async_connect(ep, [&](beast::error_code ec) {
      if (ec) return void(result = ec);
      exchange(stream);
    });
    ioc.run_for(std::chrono::seconds(5));
  } else {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).async_connect(ep, [&](beast::error_code ec) {
      if (ec) return void(result = ec);
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec2) {
        if (ec2) return void(result = ec2);
        exchange(stream);
      });
    });
    ioc.run_for(std::chrono::seconds(5));
  }
  if (result && result != http::error::end_of_stream) return "error: " + result.message();
  return std::to_string(res.result_int()) + "\n" + res.body();
}

}  // namespace gchat::testing
