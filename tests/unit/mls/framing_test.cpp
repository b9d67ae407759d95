// PublicMessage and PrivateMessage protection: round trips for both suites, and every way a
// message can be wrong (tampered, wrong key, wrong group or epoch, replayed, truncated) gives a
// typed error and leaves the receiver's secret tree byte-for-byte unchanged, able to read the
// genuine message.
#include <doctest/doctest.h>

#include "gchat/mls/framing.hpp"

#include <functional>

using namespace gchat;
using namespace gchat::mls;

namespace {

struct Group {
  const crypto::CipherSuite& suite;
  GroupContext context;
  crypto::SignatureKeyPair alice;  // leaf 0
  crypto::SignatureKeyPair bob;    // leaf 1
  Bytes encryption_secret = Bytes(32, 0x11);
  Bytes sender_data_secret = Bytes(32, 0x22);
  Bytes membership_key = Bytes(32, 0x33);

  explicit Group(std::uint16_t suite_id)
      : suite(**crypto::CipherSuite::from_id(suite_id)),
        alice(suite.generate_signature_key()),
        bob(suite.generate_signature_key()) {
    context.cipher_suite = suite_id;
    context.group_id = {'g', 'r', 'o', 'u', 'p'};
    context.epoch = 7;
    context.tree_hash = Bytes(32, 0x44);
    context.confirmed_transcript_hash = Bytes(32, 0x55);
  }

  SecretTree tree() const { return SecretTree(suite, encryption_secret, 2); }

  SignatureKeyLookup lookup() const {
    return [this](LeafIndex leaf) -> Result<Bytes> {
      if (leaf == 0) return alice.public_key;
      if (leaf == 1) return bob.public_key;
      return fail(Errc::mls_invalid_sender, "no such member");
    };
  }

  FramedContent content(LeafIndex sender, std::variant<Bytes, Proposal, Commit> body) const {
    FramedContent c;
    c.group_id = context.group_id;
    c.epoch = context.epoch;
    c.sender = Sender{SenderType::member, sender};
    c.authenticated_data = {1, 2, 3};
    c.body = std::move(body);
    return c;
  }

  BytesView private_key(LeafIndex leaf) const { return leaf == 0 ? alice.private_key.view() : bob.private_key.view(); }
};

Proposal remove_proposal(std::uint32_t leaf) { return Proposal{Remove{leaf}}; }

Bytes text(const char* s) { return Bytes(s, s + std::char_traits<char>::length(s)); }

}  // namespace

TEST_CASE("PrivateMessage round trip, both suites, with padding") {
  for (std::uint16_t id : {crypto::kSuiteAes128Gcm, crypto::kSuiteChaCha20Poly1305}) {
    CAPTURE(id);
    Group g(id);
    auto sender = g.tree();
    auto receiver = g.tree();
    auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("สวัสดีครับ")),
                             g.private_key(0), {}, 100);
    REQUIRE(m.ok());
    auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup());
    REQUIRE_MESSAGE(out.ok(), out.error().to_string());
    CHECK(std::get<Bytes>(out->content.body) == text("สวัสดีครับ"));
    CHECK(out->content.sender.index == 0);
    CHECK(out->content.authenticated_data == Bytes{1, 2, 3});
    CHECK(out->generation == 0);
  }
}

TEST_CASE("a replayed PrivateMessage is refused: its key is gone") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto receiver = g.tree();
  auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("once")),
                           g.private_key(0));
  REQUIRE(m.ok());
  REQUIRE(unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup()).ok());
  auto again = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::mls_generation_reused);
}

TEST_CASE("out-of-order PrivateMessages within the window decrypt once each") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto receiver = g.tree();
  std::vector<PrivateMessage> sent;
  for (int i = 0; i < 5; ++i) {
    auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(1, Bytes{std::uint8_t(i)}),
                             g.private_key(1));
    REQUIRE(m.ok());
    sent.push_back(*m);
  }
  for (int i : {4, 0, 2, 1, 3}) {
    auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, sent[std::size_t(i)], g.lookup());
    REQUIRE_MESSAGE(out.ok(), out.error().to_string());
    CHECK(std::get<Bytes>(out->content.body) == Bytes{std::uint8_t(i)});
  }
}

TEST_CASE("tampering with any part of a PrivateMessage is detected and costs the receiver nothing") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("secret")),
                           g.private_key(0));
  REQUIRE(m.ok());

  struct Case {
    const char* name;
    std::function<void(PrivateMessage&)> tamper;
    Errc expected;
  };
  const std::vector<Case> cases = {
      {"ciphertext bit", [](PrivateMessage& p) { p.ciphertext[p.ciphertext.size() / 2] ^= 1; }, Errc::decrypt_failed},
      {"ciphertext tag", [](PrivateMessage& p) { p.ciphertext.back() ^= 0x80; }, Errc::decrypt_failed},
      {"sender data", [](PrivateMessage& p) { p.encrypted_sender_data[0] ^= 1; }, Errc::decrypt_failed},
      {"authenticated data", [](PrivateMessage& p) { p.authenticated_data.push_back(9); }, Errc::decrypt_failed},
      {"content type", [](PrivateMessage& p) { p.content_type = ContentType::proposal; }, Errc::decrypt_failed},
      {"epoch", [](PrivateMessage& p) { p.epoch++; }, Errc::mls_wrong_epoch},
      {"group", [](PrivateMessage& p) { p.group_id.push_back('x'); }, Errc::mls_wrong_group},
      {"truncated ciphertext", [](PrivateMessage& p) { p.ciphertext.resize(5); }, Errc::decrypt_failed},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto receiver = g.tree();
    PrivateMessage bad = *m;
    c.tamper(bad);
    const SecretBytes before = receiver.serialize();
    auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, bad, g.lookup());
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == c.expected);
    CHECK(receiver.serialize() == before);
    // The genuine message still decrypts afterwards.
    CHECK(unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup()).ok());
  }
}

TEST_CASE("a PrivateMessage signed by someone other than the leaf it names is refused") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto receiver = g.tree();
  // Bob's key signs, but the content says leaf 0 (Alice).
  auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("forged")),
                           g.private_key(1));
  REQUIRE(m.ok());
  auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup());
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::bad_signature);
}

TEST_CASE("the wrong sender-data secret or encryption secret cannot open a PrivateMessage") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("x")), g.private_key(0));
  REQUIRE(m.ok());
  auto receiver = g.tree();
  const Bytes wrong(32, 0x99);
  auto out = unprotect_private(g.suite, g.context, receiver, wrong, *m, g.lookup());
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::decrypt_failed);
  SecretTree other(g.suite, wrong, 2);
  auto out2 = unprotect_private(g.suite, g.context, other, g.sender_data_secret, *m, g.lookup());
  REQUIRE_FALSE(out2.ok());
  CHECK(out2.error().code == Errc::decrypt_failed);
}

TEST_CASE("a sender leaf outside the tree is refused") {
  Group g(crypto::kDefaultSuite);
  SecretTree big(g.suite, g.encryption_secret, 4);
  auto m = protect_private(g.suite, g.context, big, g.sender_data_secret, g.content(3, text("x")), g.private_key(0));
  REQUIRE(m.ok());
  auto receiver = g.tree();  // two leaves only
  auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup());
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::mls_invalid_sender);
}

TEST_CASE("PublicMessage: membership tag and signature are both checked; application data is refused") {
  Group g(crypto::kDefaultSuite);
  auto m = protect_public(g.suite, g.context, g.membership_key, g.content(1, remove_proposal(0)), g.private_key(1));
  REQUIRE(m.ok());
  CHECK(verify_public(g.suite, g.context, g.membership_key, *m, g.bob.public_key).ok());

  auto wrong_key = verify_public(g.suite, g.context, Bytes(32, 0), *m, g.bob.public_key);
  CHECK(wrong_key.error().code == Errc::mls_bad_membership_tag);
  auto wrong_signer = verify_public(g.suite, g.context, g.membership_key, *m, g.alice.public_key);
  CHECK(wrong_signer.error().code == Errc::bad_signature);

  PublicMessage changed = *m;
  std::get<Remove>(std::get<Proposal>(changed.content.body).body).removed = 1;
  CHECK(verify_public(g.suite, g.context, g.membership_key, changed, g.bob.public_key).error().code ==
        Errc::mls_bad_membership_tag);

  GroupContext next = g.context;
  next.epoch++;
  CHECK(verify_public(g.suite, next, g.membership_key, *m, g.bob.public_key).error().code == Errc::mls_wrong_epoch);

  auto app = protect_public(g.suite, g.context, g.membership_key, g.content(1, text("hi")), g.private_key(1));
  REQUIRE_FALSE(app.ok());
  CHECK(app.error().code == Errc::mls_invalid_message);

  Commit commit;
  auto no_tag = protect_public(g.suite, g.context, g.membership_key, g.content(1, commit), g.private_key(1));
  REQUIRE_FALSE(no_tag.ok());
  CHECK(no_tag.error().code == Errc::invalid_argument);
}

TEST_CASE("every truncation of an encoded MLSMessage fails to decode with a typed error") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto priv = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("abc")),
                              g.private_key(0));
  Commit commit;
  commit.proposals.push_back(ProposalOrRef{remove_proposal(1)});
  commit.proposals.push_back(ProposalOrRef{Bytes(32, 7)});
  auto pub = protect_public(g.suite, g.context, g.membership_key, g.content(0, commit), g.private_key(0), Bytes(32, 1));
  REQUIRE((priv.ok() && pub.ok()));
  for (const MlsMessage& msg : {MlsMessage{ProtocolVersion::mls10, *priv}, MlsMessage{ProtocolVersion::mls10, *pub}}) {
    const Bytes wire = codec::encode(msg);
    auto full = codec::decode_exact<MlsMessage>(wire);
    REQUIRE(full.ok());
    CHECK(codec::encode(*full) == wire);
    for (std::size_t n = 0; n < wire.size(); ++n) {
      auto cut = codec::decode_exact<MlsMessage>(BytesView(wire).first(n));
      REQUIRE_FALSE(cut.ok());
      const auto code = cut.error().code;
      CHECK((code == Errc::truncated || code == Errc::length_out_of_range || code == Errc::invalid_value ||
             code == Errc::malformed));
    }
    Bytes longer = wire;
    longer.push_back(0);
    CHECK(codec::decode_exact<MlsMessage>(longer).error().code == Errc::trailing_data);
  }
}

TEST_CASE("unknown selectors are refused, not skipped") {
  // MLSMessage with wire format 9.
  CHECK(codec::decode_exact<MlsMessage>(Bytes{0, 1, 0, 9, 0}).error().code == Errc::invalid_value);
  // Protocol version 2.
  CHECK(codec::decode_exact<MlsMessage>(Bytes{0, 2, 0, 1}).error().code == Errc::invalid_value);
  // Proposal type 0x0a0a (a GREASE value) and ProposalOrRef type 3.
  CHECK(codec::decode_exact<Proposal>(Bytes{0x0a, 0x0a, 0}).error().code == Errc::invalid_value);
  CHECK(codec::decode_exact<ProposalOrRef>(Bytes{3, 0}).error().code == Errc::invalid_value);
  // Sender type 5, credential type 7.
  CHECK(codec::decode_exact<Sender>(Bytes{5}).error().code == Errc::invalid_value);
  CHECK(codec::decode_exact<Credential>(Bytes{0, 7, 0}).error().code == Errc::invalid_value);
}

namespace {

// `m` re-encrypted under its own key (the receiver's, looked up without consuming it) with the last
// padding byte set to 1. The sender data is bound to the first Nh bytes of the ciphertext, which do
// not change, so it still decrypts.
PrivateMessage with_nonzero_padding(const Group& g, const PrivateMessage& m, const RatchetKey& key) {
  auto sd_key = sender_data_key(g.suite, g.sender_data_secret, m.ciphertext);
  auto sd_nonce = sender_data_nonce(g.suite, g.sender_data_secret, m.ciphertext);
  REQUIRE((sd_key.ok() && sd_nonce.ok()));
  codec::Writer sd_aad;
  codec::encode_value(sd_aad, m.group_id);
  codec::encode_value(sd_aad, m.epoch);
  codec::encode_value(sd_aad, m.content_type);
  auto sd = g.suite.aead_open(*sd_key, *sd_nonce, sd_aad.bytes(), m.encrypted_sender_data);
  REQUIRE(sd.ok());
  SecretBytes nonce = key.nonce.clone();
  for (int i = 0; i < 4; ++i) nonce.data()[i] ^= (*sd)[8 + std::size_t(i)];  // the reuse guard
  codec::Writer aad;
  codec::encode_value(aad, m.group_id);
  codec::encode_value(aad, m.epoch);
  codec::encode_value(aad, m.content_type);
  codec::encode_value(aad, m.authenticated_data);
  auto plain = g.suite.aead_open(key.key, nonce, aad.bytes(), m.ciphertext);
  REQUIRE(plain.ok());
  plain->back() = 1;
  auto resealed = g.suite.aead_seal(key.key, nonce, aad.bytes(), *plain);
  REQUIRE(resealed.ok());
  PrivateMessage bad = m;
  bad.ciphertext = *resealed;
  return bad;
}

// Messages from `sender` for generations 0..n-1 of its application ratchet.
std::vector<PrivateMessage> send(const Group& g, SecretTree& tree, LeafIndex sender, std::size_t n,
                                 std::size_t padding = 0) {
  std::vector<PrivateMessage> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto m = protect_private(g.suite, g.context, tree, g.sender_data_secret,
                             g.content(sender, Bytes{std::uint8_t(i)}), g.private_key(sender), {}, padding);
    REQUIRE(m.ok());
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace

TEST_CASE("non-zero padding in a PrivateMessage is refused") {
  Group g(crypto::kDefaultSuite);
  auto sender = g.tree();
  auto m = protect_private(g.suite, g.context, sender, g.sender_data_secret, g.content(0, text("p")), g.private_key(0),
                           {}, 8);
  REQUIRE(m.ok());
  auto receiver = g.tree();
  auto key = receiver.key_for(0, RatchetType::application, 0);
  REQUIRE(key.ok());
  const PrivateMessage bad = with_nonzero_padding(g, *m, *key);
  auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, bad, g.lookup());
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::malformed);
}

TEST_CASE("a forged PrivateMessage claiming another sender far ahead with a wrong signature does not stop that "
          "sender's genuine messages") {
  Group g(crypto::kDefaultSuite);
  auto alice = g.tree();
  auto receiver = g.tree();
  // Bob holds the epoch's secrets, so he can encrypt as Alice at any generation, but he can only sign as
  // himself.
  auto bob_as_alice = g.tree();
  REQUIRE(bob_as_alice.consume(0, RatchetType::application, 999).ok());
  auto forged = protect_private(g.suite, g.context, bob_as_alice, g.sender_data_secret, g.content(0, text("forged")),
                                g.private_key(1));
  REQUIRE(forged.ok());
  const SecretBytes before = receiver.serialize();
  auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *forged, g.lookup());
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::bad_signature);
  CHECK(receiver.serialize() == before);

  auto genuine = send(g, alice, 0, 5);
  for (std::size_t i = 0; i < genuine.size(); ++i) {
    CAPTURE(i);
    auto opened = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, genuine[i], g.lookup());
    REQUIRE_MESSAGE(opened.ok(), opened.error().to_string());
    CHECK(opened->generation == i);
  }
}

TEST_CASE("a PrivateMessage refused for its signature, its tag or its padding changes nothing, and the genuine one "
          "at that generation still opens") {
  Group g(crypto::kDefaultSuite);
  auto alice = g.tree();
  const auto genuine = send(g, alice, 0, 4, 8);  // the receiver has seen none of them: generation 3 skips ahead
  auto bob_as_alice = g.tree();
  REQUIRE(bob_as_alice.consume(0, RatchetType::application, 2).ok());
  auto forged = protect_private(g.suite, g.context, bob_as_alice, g.sender_data_secret, g.content(0, text("forged")),
                                g.private_key(1));
  REQUIRE(forged.ok());

  struct Case {
    const char* name;
    std::function<PrivateMessage(const SecretTree&)> make;
    Errc expected;
  };
  const std::vector<Case> cases = {
      {"signature", [&](const SecretTree&) { return *forged; }, Errc::bad_signature},
      {"tag",
       [&](const SecretTree&) {
         PrivateMessage m = genuine[3];
         m.ciphertext.back() ^= 0x80;
         return m;
       },
       Errc::decrypt_failed},
      {"padding",
       [&](const SecretTree& receiver) {
         auto key = receiver.key_for(0, RatchetType::application, 3);
         REQUIRE(key.ok());
         return with_nonzero_padding(g, genuine[3], *key);
       },
       Errc::malformed},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto receiver = g.tree();
    const PrivateMessage bad = c.make(receiver);
    const SecretBytes before = receiver.serialize();
    auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, bad, g.lookup());
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == c.expected);
    CHECK(receiver.serialize() == before);
    // The genuine message for that generation opens, and so do the earlier ones it skipped.
    const std::size_t order[] = {3, 0, 1, 2};
    for (std::size_t i : order) {
      CAPTURE(i);
      auto opened = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, genuine[i], g.lookup());
      REQUIRE_MESSAGE(opened.ok(), opened.error().to_string());
      CHECK(opened->generation == i);
    }
  }
}

TEST_CASE("thousands of forged PrivateMessages with valid sender data and a broken tag do not grow the receiver") {
  Group g(crypto::kDefaultSuite);
  SecretTree receiver(g.suite, g.encryption_secret, 2, SecretTree::Limits{64, 16});
  auto bob_as_alice = g.tree();
  const SecretBytes before = receiver.serialize();
  for (std::uint32_t i = 0; i < 3000; ++i) {
    auto m = protect_private(g.suite, g.context, bob_as_alice, g.sender_data_secret, g.content(0, Bytes{1}),
                             g.private_key(1));
    REQUIRE(m.ok());
    m->ciphertext.back() ^= 1;  // the tag; the sender data, keyed on the first Nh bytes, still opens
    auto out = unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, *m, g.lookup());
    REQUIRE_FALSE(out.ok());
    CHECK((out.error().code == Errc::decrypt_failed || out.error().code == Errc::mls_generation_too_far));
  }
  CHECK(receiver.serialize() == before);
  auto alice = g.tree();
  auto genuine = send(g, alice, 0, 1);
  CHECK(unprotect_private(g.suite, g.context, receiver, g.sender_data_secret, genuine[0], g.lookup()).ok());
}
