#include <doctest/doctest.h>

#include "gchat/crypto/hpke.hpp"
#include "test_hex.hpp"

using namespace gchat;
using namespace gchat::crypto;

namespace {

// RFC 9180 Appendix A.1.1 (AES-128-GCM) and A.2.1 (ChaCha20Poly1305), base mode.
struct BaseVector {
  std::uint16_t suite;
  const char* ikm_e;
  const char* ikm_r;
  const char* sk_rm;
  const char* pk_rm;
  const char* enc;
  const char* key;
  const char* base_nonce;
  const char* exporter_secret;
  const char* ct_seq0;
  const char* ct_seq1;
  const char* export_empty_ctx;
};

const BaseVector kVectors[] = {
    {kSuiteAes128Gcm, "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
     "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
     "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
     "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
     "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431", "4531685d41d65f03dc48f6b8302c05b0",
     "56d890e5accaaf011cff4b7d", "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
     "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
     "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84",
     "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"},
    {kSuiteChaCha20Poly1305, "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b",
     "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df",
     "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
     "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
     "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
     "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91", "5c4d98150661b848853b547f",
     "a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922",
     "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
     "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c",
     "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e"},
};

const Hpke& hpke_for(std::uint16_t id) { return (*CipherSuite::from_id(id))->hpke(); }

}  // namespace

TEST_CASE("HPKE base mode reproduces the RFC 9180 Appendix A test vectors") {
  const Bytes info = hex("4f6465206f6e2061204772656369616e2055726e");
  const Bytes pt = hex("4265617574792069732074727574682c20747275746820626561757479");
  for (const auto& v : kVectors) {
    CAPTURE(v.suite);
    const auto& hpke = hpke_for(v.suite);

    auto recipient = hpke.derive_key_pair(hex(v.ikm_r));
    REQUIRE(recipient.ok());
    CHECK(to_hex(recipient->private_key) == v.sk_rm);
    CHECK(to_hex(recipient->public_key) == v.pk_rm);

    Bytes ikm_e = hex(v.ikm_e);
    auto sender = hpke.setup_base_s(recipient->public_key, info, BytesView(ikm_e));
    REQUIRE(sender.ok());
    CHECK(to_hex(sender->enc) == v.enc);
    CHECK(to_hex(sender->context.key()) == v.key);
    CHECK(to_hex(sender->context.base_nonce()) == v.base_nonce);
    CHECK(to_hex(sender->context.exporter_secret()) == v.exporter_secret);

    auto ct0 = sender->context.seal(hex("436f756e742d30"), pt);
    auto ct1 = sender->context.seal(hex("436f756e742d31"), pt);
    REQUIRE(ct0.ok());
    REQUIRE(ct1.ok());
    CHECK(to_hex(*ct0) == v.ct_seq0);
    CHECK(to_hex(*ct1) == v.ct_seq1);
    auto exported = sender->context.export_secret({}, 32);
    REQUIRE(exported.ok());
    CHECK(to_hex(*exported) == v.export_empty_ctx);

    auto receiver = hpke.setup_base_r(sender->enc, recipient->private_key, info);
    REQUIRE(receiver.ok());
    CHECK(*receiver->open(hex("436f756e742d30"), *ct0) == pt);
    // Out of order: the receiver's sequence is now 1, so ct0 again fails.
    CHECK(receiver->open(hex("436f756e742d30"), *ct0).error().code == Errc::decrypt_failed);
    CHECK(*receiver->open(hex("436f756e742d31"), *ct1) == pt);
  }
}

TEST_CASE("HPKE single-shot seal and open round-trip, and fail on the wrong key, info or AAD") {
  for (std::uint16_t id : {kSuiteAes128Gcm, kSuiteChaCha20Poly1305}) {
    const auto& hpke = hpke_for(id);
    auto kp = hpke.generate_key_pair();
    auto ct = hpke.seal(kp.public_key, hex("01"), hex("02"), hex("abcdef"));
    REQUIRE(ct.ok());
    CHECK(*hpke.open(kp.private_key, ct->kem_output, hex("01"), hex("02"), ct->ciphertext) == hex("abcdef"));
    CHECK(hpke.open(kp.private_key, ct->kem_output, hex("09"), hex("02"), ct->ciphertext).error().code ==
          Errc::decrypt_failed);
    CHECK(hpke.open(kp.private_key, ct->kem_output, hex("01"), hex("09"), ct->ciphertext).error().code ==
          Errc::decrypt_failed);
    auto other = hpke.generate_key_pair();
    CHECK(hpke.open(other.private_key, ct->kem_output, hex("01"), hex("02"), ct->ciphertext).error().code ==
          Errc::decrypt_failed);
    CHECK_FALSE(hpke.open(kp.private_key, BytesView(ct->kem_output.data(), 31), hex("01"), hex("02"), ct->ciphertext)
                    .ok());
  }
}

TEST_CASE("HPKE rejects a low-order public key whose shared secret is all zero") {
  const auto& hpke = hpke_for(kDefaultSuite);
  Bytes zero_point(32, 0);
  auto r = hpke.seal(zero_point, {}, {}, hex("00"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_key);
}

TEST_CASE("HPKE keys of the wrong size are refused") {
  const auto& hpke = hpke_for(kDefaultSuite);
  CHECK(hpke.seal(Bytes(31), {}, {}, {}).error().code == Errc::invalid_key);
  CHECK(hpke.public_key_from_private(Bytes(33)).error().code == Errc::invalid_key);
}
