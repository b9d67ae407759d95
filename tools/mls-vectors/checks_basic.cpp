// tree-math, crypto-basics and deserialization vectors.
#include "gchat/codec/tls.hpp"
#include "gchat/mls/crypto_ops.hpp"
#include "gchat/mls/tree_math.hpp"
#include "runner.hpp"

namespace gchat::vectors {

using nlohmann::json;

namespace {

void expect_optional(const json& expected, std::optional<std::uint32_t> actual, const std::string& what) {
  if (expected.is_null()) {
    expect(!actual.has_value(), what + ": expected none, got " + std::to_string(actual.value_or(0)));
  } else {
    expect(actual.has_value() && *actual == expected.get<std::uint32_t>(),
           what + ": expected " + expected.dump() + ", got " + (actual ? std::to_string(*actual) : "none"));
  }
}

}  // namespace

void check_tree_math(const json& c) {
  namespace t = mls::tree;
  const auto n = c.at("n_leaves").get<std::uint32_t>();
  expect(t::node_width(n) == c.at("n_nodes").get<std::uint32_t>(), "n_nodes");
  expect(t::root(n) == c.at("root").get<std::uint32_t>(), "root");
  const auto& left = c.at("left");
  const auto& right = c.at("right");
  const auto& parent = c.at("parent");
  const auto& sibling = c.at("sibling");
  expect(left.size() == t::node_width(n) && right.size() == left.size() && parent.size() == left.size() &&
             sibling.size() == left.size(),
         "array lengths");
  for (std::uint32_t i = 0; i < left.size(); ++i) {
    const std::string at = "node " + std::to_string(i) + ": ";
    expect_optional(left[i], t::left(i), at + "left");
    expect_optional(right[i], t::right(i), at + "right");
    expect_optional(parent[i], t::parent(i, n), at + "parent");
    expect_optional(sibling[i], t::sibling(i, n), at + "sibling");
  }
}

void check_crypto_basics(const json& c) {
  const auto& suite = suite_of(c);
  {
    const auto& v = c.at("ref_hash");
    expect_equal(mls::ref_hash(suite, v.at("label").get<std::string>(), hex(v, "value")), hex(v, "out"), "ref_hash");
  }
  {
    const auto& v = c.at("expand_with_label");
    auto out = must(mls::expand_with_label(suite, hex(v, "secret"), v.at("label").get<std::string>(),
                                           hex(v, "context"), v.at("length").get<std::uint16_t>()),
                    "expand_with_label");
    expect_equal(out, hex(v, "out"), "expand_with_label");
  }
  {
    const auto& v = c.at("derive_secret");
    auto out = must(mls::derive_secret(suite, hex(v, "secret"), v.at("label").get<std::string>()), "derive_secret");
    expect_equal(out, hex(v, "out"), "derive_secret");
  }
  {
    const auto& v = c.at("derive_tree_secret");
    auto out = must(mls::derive_tree_secret(suite, hex(v, "secret"), v.at("label").get<std::string>(),
                                            v.at("generation").get<std::uint32_t>(), v.at("length").get<std::uint16_t>()),
                    "derive_tree_secret");
    expect_equal(out, hex(v, "out"), "derive_tree_secret");
  }
  {
    const auto& v = c.at("sign_with_label");
    const auto label = v.at("label").get<std::string>();
    const Bytes pub = hex(v, "pub");
    const Bytes content = hex(v, "content");
    must(mls::verify_with_label(suite, pub, label, content, hex(v, "signature")), "verify_with_label (given)");
    const Bytes sig = must(mls::sign_with_label(suite, hex(v, "priv"), label, content), "sign_with_label");
    must(mls::verify_with_label(suite, pub, label, content, sig), "verify_with_label (own)");
  }
  {
    const auto& v = c.at("encrypt_with_label");
    const auto label = v.at("label").get<std::string>();
    const Bytes priv = hex(v, "priv");
    const Bytes context = hex(v, "context");
    const Bytes plaintext = hex(v, "plaintext");
    auto pt = must(mls::decrypt_with_label(suite, priv, label, context, hex(v, "kem_output"), hex(v, "ciphertext")),
                   "decrypt_with_label (given)");
    expect_equal(pt, plaintext, "decrypt_with_label (given)");
    auto ct = must(mls::encrypt_with_label(suite, hex(v, "pub"), label, context, plaintext), "encrypt_with_label");
    auto pt2 = must(mls::decrypt_with_label(suite, priv, label, context, ct.kem_output, ct.ciphertext),
                    "decrypt_with_label (own)");
    expect_equal(pt2, plaintext, "decrypt_with_label (own)");
  }
}

void check_deserialization(const json& c) {
  const Bytes header = hex(c, "vlbytes_header");
  codec::Reader r(header);
  const auto length = must(r.varint(), "varint");
  expect(length == c.at("length").get<std::uint64_t>(),
         "length: got " + std::to_string(length) + ", expected " + c.at("length").dump());
  expect(r.empty(), "the header has bytes after its varint");
}

}  // namespace gchat::vectors
