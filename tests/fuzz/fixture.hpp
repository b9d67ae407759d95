#pragma once
// A fixed two-member group (deterministic keys and secrets) for the fuzz targets.
#include "gchat/mls/framing.hpp"

namespace fuzz {

struct Group {
  const gchat::crypto::CipherSuite& suite;
  gchat::mls::GroupContext context;
  gchat::crypto::SignatureKeyPair member;  // leaf 0 and leaf 1 share it
  gchat::Bytes encryption_secret = gchat::Bytes(32, 0x11);
  gchat::Bytes sender_data_secret = gchat::Bytes(32, 0x22);
  gchat::Bytes membership_key = gchat::Bytes(32, 0x33);

  Group();
  gchat::mls::SignatureKeyLookup lookup() const;
};

const Group& group();
// Encoded MLSMessages: PrivateMessages of each content type, PublicMessages of a proposal and a commit.
std::vector<gchat::Bytes> sample_messages();

}  // namespace fuzz
