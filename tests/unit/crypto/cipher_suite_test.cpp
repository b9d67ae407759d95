#include <doctest/doctest.h>

#include "gchat/crypto/cipher_suite.hpp"
#include "test_hex.hpp"

using namespace gchat;
using namespace gchat::crypto;

namespace {
const CipherSuite& suite(std::uint16_t id) { return **CipherSuite::from_id(id); }
}  // namespace

TEST_CASE("only suites 0x0001 and 0x0003 are supported") {
  CHECK(CipherSuite::from_id(0x0001).ok());
  CHECK(CipherSuite::from_id(0x0003).ok());
  for (std::uint16_t id : {0x0000, 0x0002, 0x0004, 0x0007, 0xffff}) {
    auto r = CipherSuite::from_id(id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::unsupported_suite);
  }
}

TEST_CASE("HKDF-SHA256 matches RFC 5869 test cases 1 to 3") {
  // RFC 5869 Appendix A.1
  auto prk = hkdf_extract(hex("000102030405060708090a0b0c"), hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  CHECK(to_hex(prk) == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  auto okm = hkdf_expand(prk, hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.ok());
  CHECK(to_hex(*okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");

  // A.2: longer inputs and outputs (several HMAC blocks).
  Bytes ikm2, salt2, info2;
  for (int i = 0; i < 80; ++i) {
    ikm2.push_back(static_cast<std::uint8_t>(i));
    salt2.push_back(static_cast<std::uint8_t>(0x60 + i));
    info2.push_back(static_cast<std::uint8_t>(0xb0 + i));
  }
  auto prk2 = hkdf_extract(salt2, ikm2);
  CHECK(to_hex(prk2) == "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
  auto okm2 = hkdf_expand(prk2, info2, 82);
  REQUIRE(okm2.ok());
  CHECK(to_hex(*okm2) ==
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8"
        "367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");

  // A.3: empty salt and info.
  auto prk3 = hkdf_extract({}, hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  CHECK(to_hex(prk3) == "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  auto okm3 = hkdf_expand(prk3, {}, 42);
  REQUIRE(okm3.ok());
  CHECK(to_hex(*okm3) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("HKDF-Expand refuses lengths above 255 * Nh") {
  auto prk = hkdf_extract({}, hex("00"));
  CHECK(hkdf_expand(prk, {}, 255 * 32).ok());
  CHECK(hkdf_expand(prk, {}, 255 * 32 + 1).error().code == Errc::invalid_argument);
}

TEST_CASE("AEAD of both suites round-trips and rejects every kind of tampering") {
  for (std::uint16_t id : {kSuiteAes128Gcm, kSuiteChaCha20Poly1305}) {
    CAPTURE(id);
    const auto& s = suite(id);
    Bytes key(s.aead_key_length(), 7), nonce(12, 1), aad = hex("a0a1"), pt = hex("000102030405");
    auto ct = s.aead_seal(key, nonce, aad, pt);
    REQUIRE(ct.ok());
    CHECK(ct->size() == pt.size() + 16);
    CHECK(*s.aead_open(key, nonce, aad, *ct) == pt);

    Bytes flipped = *ct;
    flipped[0] ^= 1;
    CHECK(s.aead_open(key, nonce, aad, flipped).error().code == Errc::decrypt_failed);
    Bytes tag_flipped = *ct;
    tag_flipped.back() ^= 0x80;
    CHECK(s.aead_open(key, nonce, aad, tag_flipped).error().code == Errc::decrypt_failed);
    CHECK(s.aead_open(key, nonce, hex("a0a2"), *ct).error().code == Errc::decrypt_failed);
    Bytes other_key(s.aead_key_length(), 8);
    CHECK(s.aead_open(other_key, nonce, aad, *ct).error().code == Errc::decrypt_failed);
    Bytes other_nonce(12, 2);
    CHECK(s.aead_open(key, other_nonce, aad, *ct).error().code == Errc::decrypt_failed);
    CHECK(s.aead_open(key, nonce, aad, BytesView(ct->data(), 15)).error().code == Errc::decrypt_failed);
    CHECK(s.aead_open(Bytes(3), nonce, aad, *ct).error().code == Errc::invalid_key);
    CHECK(s.aead_seal(key, Bytes(11), aad, pt).error().code == Errc::invalid_argument);
  }
}

TEST_CASE("AES-128-GCM matches a known answer") {
  // NIST GCM test case 2 (zero key, zero IV, one zero block).
  auto ct = aead_seal(AeadAlgorithm::aes128gcm, Bytes(16), Bytes(12), {}, Bytes(16));
  REQUIRE(ct.ok());
  CHECK(to_hex(*ct) == "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
}

TEST_CASE("Ed25519 signatures verify and every alteration fails") {
  const auto& s = suite(kDefaultSuite);
  auto kp = s.generate_signature_key();
  CHECK(kp.private_key.size() == 32);
  CHECK(kp.public_key.size() == 32);
  Bytes msg = hex("48656c6c6f");
  auto sig = s.sign(kp.private_key, msg);
  REQUIRE(sig.ok());
  CHECK(s.verify(kp.public_key, msg, *sig).ok());

  Bytes bad_sig = *sig;
  bad_sig[10] ^= 1;
  CHECK(s.verify(kp.public_key, msg, bad_sig).error().code == Errc::bad_signature);
  CHECK(s.verify(kp.public_key, hex("48656c6c6e"), *sig).error().code == Errc::bad_signature);
  CHECK(s.verify(kp.public_key, msg, BytesView(sig->data(), 63)).error().code == Errc::bad_signature);
  auto other = s.generate_signature_key();
  CHECK(s.verify(other.public_key, msg, *sig).error().code == Errc::bad_signature);
  CHECK(s.verify(Bytes(31), msg, *sig).error().code == Errc::invalid_key);
  CHECK(s.sign(Bytes(31), msg).error().code == Errc::invalid_key);
}

TEST_CASE("an Ed25519 key pair is reproduced from its seed (RFC 8032 test 1)") {
  const auto& s = suite(kDefaultSuite);
  auto kp = s.signature_key_from_private(hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  REQUIRE(kp.ok());
  CHECK(to_hex(kp->public_key) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = s.sign(kp->private_key, {});
  REQUIRE(sig.ok());
  CHECK(to_hex(*sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
        "655141438e7a100b");
}
