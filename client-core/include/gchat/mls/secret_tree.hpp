#pragma once
// The secret tree and its per-sender hash ratchets (RFC 9420 §9). Node secrets are derived on
// demand from encryption_secret and deleted as soon as both children exist; a leaf's secret is
// deleted once its two ratchets are started. Keys are deleted once used.
//
// Shape: the tree has the structure of the group's ratchet tree (§9), a perfect tree (§4) of
// bit_ceil(n_leaves) leaves; leaves from n_leaves on are not senders.
//
// Out-of-order delivery: a receiver may ask for a generation up to `max_forward` ahead of the
// ratchet; the keys skipped on the way are kept (at most `max_retained` per ratchet, oldest
// dropped first) so that late messages still decrypt once. Asking again for a used or dropped
// generation is Errc::mls_generation_reused; beyond the window, Errc::mls_generation_too_far.
//
// Verify, then change: a receiver looks a key up with key_for(), which changes nothing, and
// consumes it with consume() only once the message it opened has passed every check, so that a
// forged or broken message costs the sender's ratchet nothing.

#include <cstdint>
#include <map>
#include <utility>
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
  // What the constructor and deserialize() accept. The leaf bound is the ratchet tree's; the others
  // bound the work one message may cost (HKDF steps) and the memory one ratchet may hold.
  static constexpr std::uint32_t kMaxLeaves = 1u << 31;
  static constexpr std::uint32_t kMaxForward = 1u << 16;
  static constexpr std::uint32_t kMaxRetained = 1u << 12;

  // Throws std::invalid_argument for n_leaves or limits beyond the bounds above (a programmer
  // error: the ratchet tree never has more leaves).
  SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves)
      : SecretTree(suite, encryption_secret, n_leaves, Limits{}) {}
  SecretTree(const crypto::CipherSuite& suite, BytesView encryption_secret, std::uint32_t n_leaves, Limits limits);

  std::uint32_t leaf_count() const noexcept { return n_leaves_; }

  // The whole state (derived node secrets, ratchets, retained keys) for persistence; the bytes are
  // secret. Restoring gives back exactly the keys not yet used, so no key is ever used twice.
  SecretBytes serialize() const;
  // Refuses (Errc::malformed) any state this class could not have produced: leaf count, node
  // indices, secret sizes, limits and retained keys out of range, or node secrets that do not
  // cover every leaf exactly once.
  static Result<SecretTree> deserialize(const crypto::CipherSuite& suite, BytesView data);

  // Sender side: the key for the ratchet's next generation, which is then consumed.
  Result<RatchetKey> next(LeafIndex leaf, RatchetType type);

  // Receiver side, step one: the key for `generation`, without changing any state.
  Result<RatchetKey> key_for(LeafIndex leaf, RatchetType type, std::uint32_t generation) const;
  // Receiver side, step two, once the message has been fully verified: deletes the key for
  // `generation`, advances the ratchet past it and keeps the keys skipped on the way. Refuses what
  // key_for refuses; on failure nothing has changed.
  Status consume(LeafIndex leaf, RatchetType type, std::uint32_t generation);
  // key_for then consume, for keys that protect nothing to verify (test vectors). A receiver of
  // messages uses the two steps.
  Result<RatchetKey> get(LeafIndex leaf, RatchetType type, std::uint32_t generation);

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
  // A leaf's ratchets derived from the nearest ancestor still holding a secret, and what deriving
  // them would do to the node secrets: `holder` is deleted, `siblings` are stored.
  struct LeafStart {
    LeafRatchets ratchets;
    NodeIndex holder = 0;
    std::vector<std::pair<NodeIndex, SecretBytes>> siblings;
  };

  Status check_sender(LeafIndex leaf) const;
  Status check_window(const Ratchet& r, std::uint32_t generation) const;
  Result<LeafStart> start_leaf(LeafIndex leaf) const;
  Result<RatchetKey> key_in(const Ratchet& r, std::uint32_t generation) const;
  Result<RatchetKey> derive_key(BytesView ratchet_secret, std::uint32_t generation) const;
  Result<SecretBytes> next_secret(BytesView ratchet_secret, std::uint32_t generation) const;
  NodeIndex root_node() const noexcept;

  const crypto::CipherSuite& suite_;
  std::uint32_t n_leaves_;
  Limits limits_;
  std::map<NodeIndex, SecretBytes> nodes_;   // only the secrets still held; sparse, however large the tree
  std::map<LeafIndex, LeafRatchets> leaves_;  // only the leaves whose ratchets have started
};

}  // namespace gchat::mls
