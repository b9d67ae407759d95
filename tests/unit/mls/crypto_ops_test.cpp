#include <doctest/doctest.h>

#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/crypto_ops.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {
const CipherSuite& suite() { return **CipherSuite::from_id(crypto::kDefaultSuite); }
}  // namespace

TEST_CASE("a signature made with one label does not verify under another") {
  auto kp = suite().generate_signature_key();
  Bytes content{1, 2, 3};
  auto sig = sign_with_label(suite(), kp.private_key, "FramedContentTBS", content);
  REQUIRE(sig.ok());
  CHECK(verify_with_label(suite(), kp.public_key, "FramedContentTBS", content, *sig).ok());
  CHECK(verify_with_label(suite(), kp.public_key, "LeafNodeTBS", content, *sig).error().code == Errc::bad_signature);
  // A label-less signature over the same bytes is not a labelled one.
  auto raw = suite().sign(kp.private_key, content);
  CHECK(verify_with_label(suite(), kp.public_key, "FramedContentTBS", content, *raw).error().code ==
        Errc::bad_signature);
}

TEST_CASE("a ciphertext encrypted with one label or context does not decrypt under another") {
  auto kp = suite().hpke().generate_key_pair();
  Bytes ctx{9}, pt{7, 7};
  auto ct = encrypt_with_label(suite(), kp.public_key, "UpdatePathNode", ctx, pt);
  REQUIRE(ct.ok());
  CHECK(*decrypt_with_label(suite(), kp.private_key, "UpdatePathNode", ctx, ct->kem_output, ct->ciphertext) == pt);
  CHECK(decrypt_with_label(suite(), kp.private_key, "Welcome", ctx, ct->kem_output, ct->ciphertext).error().code ==
        Errc::decrypt_failed);
  CHECK(decrypt_with_label(suite(), kp.private_key, "UpdatePathNode", Bytes{8}, ct->kem_output, ct->ciphertext)
            .error()
            .code == Errc::decrypt_failed);
}

TEST_CASE("derived secrets differ by label and by generation, and have the requested length") {
  Bytes secret(32, 1);
  auto a = derive_secret(suite(), secret, "sender data");
  auto b = derive_secret(suite(), secret, "encryption");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK_FALSE(*a == *b);
  auto g0 = derive_tree_secret(suite(), secret, "key", 0, 16);
  auto g1 = derive_tree_secret(suite(), secret, "key", 1, 16);
  CHECK(g0->size() == 16);
  CHECK_FALSE(*g0 == *g1);
}
