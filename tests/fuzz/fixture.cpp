#include "fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz.hpp"

using namespace gchat;
using namespace gchat::mls;

void fuzz_fail(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

namespace fuzz {

Group::Group()
    : suite(**crypto::CipherSuite::from_id(crypto::kDefaultSuite)),
      member(*suite.signature_key_from_private(Bytes(32, 0x44))) {
  context.cipher_suite = suite.id();
  context.group_id = {'f', 'u', 'z', 'z'};
  context.epoch = 3;
  context.tree_hash = Bytes(32, 0x55);
  context.confirmed_transcript_hash = Bytes(32, 0x66);
}

SignatureKeyLookup Group::lookup() const {
  return [this](LeafIndex) -> Result<Bytes> { return member.public_key; };
}

const Group& group() {
  static const Group g;
  return g;
}

std::vector<Bytes> sample_messages() {
  const auto& g = group();
  auto content = [&](std::variant<Bytes, Proposal, Commit> body) {
    FramedContent c;
    c.group_id = g.context.group_id;
    c.epoch = g.context.epoch;
    c.sender = Sender{SenderType::member, 1};
    c.authenticated_data = {7};
    c.body = std::move(body);
    return c;
  };
  Commit commit;
  commit.proposals.push_back(ProposalOrRef{Proposal{Remove{0}}});
  commit.proposals.push_back(ProposalOrRef{Bytes(32, 9)});
  const Proposal psk{PreSharedKey{PreSharedKeyId{PskType::external, {1, 2}, {}, {}, 0, Bytes(32, 3)}}};
  std::vector<Bytes> out;
  SecretTree tree(g.suite, g.encryption_secret, 2);
  for (auto body : std::vector<std::variant<Bytes, Proposal, Commit>>{Bytes{'h', 'i'}, psk, commit}) {
    auto m = protect_private(g.suite, g.context, tree, g.sender_data_secret, content(body), g.member.private_key,
                             Bytes(32, 1), 4);
    if (!m.ok()) fuzz_fail("cannot build a PrivateMessage seed");
    out.push_back(codec::encode(MlsMessage{ProtocolVersion::mls10, *m}));
  }
  for (auto body : std::vector<std::variant<Bytes, Proposal, Commit>>{psk, commit}) {
    auto m = protect_public(g.suite, g.context, g.membership_key, content(body), g.member.private_key, Bytes(32, 1));
    if (!m.ok()) fuzz_fail("cannot build a PublicMessage seed");
    out.push_back(codec::encode(MlsMessage{ProtocolVersion::mls10, *m}));
  }
  return out;
}

}  // namespace fuzz

// libFuzzer calls this before it reads the corpus: with GCHAT_FUZZ_SEED_DIR set (scripts/fuzz.sh
// sets it to the corpus folder), the target's seeds are written there first.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("GCHAT_FUZZ_SEED_DIR");
  if (!dir) return 0;
  const auto seeds = fuzz_seeds();
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = std::string(dir) + "/seed-" + std::to_string(i);
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(seeds[i].data(), 1, seeds[i].size(), f);
      std::fclose(f);
    }
  }
  return 0;
}
