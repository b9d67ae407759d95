#pragma once
// The secret tree and its per-sender hash ratchets (RFC 9420 §9). Node secrets are derived on
// demand from encryption_secret and deleted as soon as both children exist; a leaf's secret is
// deleted once its two ratchets are started. Keys are deleted once used.
//
// Out-of-order delivery: a receiver may ask for a generation up to `max_forward` ahead of the
// ratchet; the keys skipped on the way are kept (at most `max_retained` per ratchet, oldest
// dropped first) so that late messages still decrypt once. Asking again for a used or dropped
// generation is Errc::mls_generation_reused; beyond the window, Errc::mls_generation_too_far.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/tree_math.hpp"

namespace gchat::mls {

using tree::LeafIndex;
using tree::NodeIndex;

enum class RatchetType { handshake, application };

struct RatchetKey {
  std::uint32_t generation = 0;
  SecretBytes key;
  SecretBytes nonce;
};

class SecretTree {
 public:
  struct Limits {
    std::uint32_t max_forward = 1024;   // generations a receiver may skip in one step
    std::uint32_t max_retained = 256;   // skipped keys kept per ratchet
  };

  SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves)
      : SecretTree(suite, encryption_secret, n_leaves, Limits{}) {}
  SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves, Limits limits);

  std::uint32_t leaf_count() const noexcept { return n_leaves_; }

  // The whole state (derived node secrets, ratchets, retained keys) for persistence; the bytes are
  // secret. Restoring gives back exactly the keys not yet used, so no key is ever used twice.
  SecretBytes serialize() const;
  static Result<SecretTree> deserialize(const crypto::CipherSuite& suite, BytesView data);

  // Sender side: the key for the ratchet's next generation, which is then consumed.
  Result<RatchetKey> next(LeafIndex leaf, RatchetType type);
  // Receiver side: the key for `generation`, consumed by this call.
  Result<RatchetKey> get(LeafIndex leaf, RatchetType type, std::uint32_t generation);
  // Returns an unused key taken by get() (the message it was for did not decrypt), so that the
  // genuine message for that generation still can.
  void put_back(LeafIndex leaf, RatchetType type, RatchetKey key);

 private:
  struct Ratchet {
    SecretBytes secret;  // for next_generation
    std::uint32_t next_generation = 0;
    std::map<std::uint32_t, RatchetKey> retained;
  };
  struct LeafRatchets {
    Ratchet handshake;
    Ratchet application;
  };

  Result<Ratchet*> ratchet(LeafIndex leaf, RatchetType type);
  Status derive_leaf(LeafIndex leaf);
  Result<RatchetKey> derive_key(const Ratchet& r) const;
  Status advance(Ratchet& r) const;

  const crypto::CipherSuite& suite_;
  std::uint32_t n_leaves_;
  Limits limits_;
  std::vector<SecretBytes> nodes_;  // empty: not derived yet, or deleted
  std::vector<std::optional<LeafRatchets>> leaves_;
};

}  // namespace gchat::mls
