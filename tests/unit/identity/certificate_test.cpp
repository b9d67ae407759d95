#include "gchat/identity/certificate.hpp"

#include <doctest/doctest.h>

using namespace gchat;
using namespace gchat::identity;

namespace {
v1::AgencyCertificate sample() {
  v1::AgencyCertificate a;
  a.set_serial(7);
  a.set_agency_id("moi");
  a.set_name_th("กระทรวงมหาดไทย");
  a.set_name_en("Ministry of Interior");
  a.set_agency_key(std::string(32, 'k'));
  a.set_max_clearance(v1::SECRET);
  a.mutable_validity()->set_not_before(1);
  a.mutable_validity()->set_not_after(2);
  return a;
}
}  // namespace

TEST_CASE("a signed body opens with the signer's key and the same kind only") {
  const auto key = SigningKey::generate();
  const auto signed_cert = make_signed(SignedKind::agency_certificate, sample(), key);
  auto opened = open_signed<v1::AgencyCertificate>(SignedKind::agency_certificate, signed_cert, key.public_key(), "agency");
  REQUIRE(opened.ok());
  CHECK(opened->agency_id() == "moi");

  // The same bytes presented as another kind of object: the label differs, the signature fails.
  auto as_user = open_signed<v1::AgencyCertificate>(SignedKind::user_certificate, signed_cert, key.public_key(), "x");
  REQUIRE_FALSE(as_user.ok());
  CHECK(as_user.error().code == Errc::cert_bad_signature);

  const auto other = SigningKey::generate();
  auto wrong_key = open_signed<v1::AgencyCertificate>(SignedKind::agency_certificate, signed_cert, other.public_key(), "x");
  REQUIRE_FALSE(wrong_key.ok());
  CHECK(wrong_key.error().code == Errc::cert_bad_signature);
}

TEST_CASE("a key seed gives back the same key pair") {
  const auto key = SigningKey::generate();
  auto again = SigningKey::from_seed(key.seed().view());
  REQUIRE(again.ok());
  CHECK(again->public_key() == key.public_key());
  CHECK(again->sign(SignedKind::admin_act, as_bytes("x")) == key.sign(SignedKind::admin_act, as_bytes("x")));
  CHECK(SigningKey::from_seed(Bytes(31)).error().code == Errc::invalid_key);
}

TEST_CASE("a body with unknown fields or in non-canonical order is refused even when signed") {
  const auto key = SigningKey::generate();
  const Bytes canonical = serialize_canonical(sample());

  // An unknown field (number 99, varint) appended.
  Bytes extra = canonical;
  extra.push_back(static_cast<std::uint8_t>(((99 << 3) & 0x7f) | 0x80));
  extra.push_back(static_cast<std::uint8_t>(99 >> 4));
  extra.push_back(1);
  v1::AgencyCertificate parsed;
  auto st = parse_canonical(extra, parsed, "agency certificate");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == Errc::cert_malformed);

  // The serial (field 1) moved to the end: same message, another byte string.
  Bytes reordered(canonical.begin() + 2, canonical.end());
  reordered.push_back(canonical[0]);
  reordered.push_back(canonical[1]);
  v1::AgencyCertificate parsed2;
  REQUIRE(parsed2.ParseFromArray(reordered.data(), static_cast<int>(reordered.size())));
  CHECK(parsed2.serial() == 7);
  auto st2 = parse_canonical(reordered, parsed2, "agency certificate");
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.error().code == Errc::cert_malformed);

  v1::Signed s;
  s.set_body(std::string(reordered.begin(), reordered.end()));
  const Bytes sig = key.sign(SignedKind::agency_certificate, reordered);
  s.set_signature(std::string(sig.begin(), sig.end()));
  auto opened = open_signed<v1::AgencyCertificate>(SignedKind::agency_certificate, s, key.public_key(), "agency");
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == Errc::cert_malformed);

  CHECK(parse_canonical(Bytes(kMaxBodySize + 1), parsed, "x").error().code == Errc::cert_malformed);
  CHECK(parse_canonical(Bytes{0xff, 0xff}, parsed, "x").error().code == Errc::cert_malformed);
}

TEST_CASE("signatures and keys of the wrong size are refused before verification") {
  const auto key = SigningKey::generate();
  CHECK(verify_signature(SignedKind::admin_act, {}, Bytes(63), key.public_key()).error().code == Errc::cert_malformed);
  CHECK(verify_signature(SignedKind::admin_act, {}, Bytes(64), Bytes(31)).error().code == Errc::cert_malformed);
}

TEST_CASE("identifiers are short lowercase words") {
  CHECK(valid_id("moi"));
  CHECK(valid_id("somchai.k-2"));
  CHECK_FALSE(valid_id(""));
  CHECK_FALSE(valid_id("Somchai"));
  CHECK_FALSE(valid_id("a/b"));
  CHECK_FALSE(valid_id(std::string(65, 'a')));
}
