// Untrusted MLSMessages through the receiving path of a fixed group: PrivateMessages are
// decrypted (sender data, ratchet lookup, content, padding, signature), PublicMessages verified.
// Nothing may crash, leak or read out of bounds, whatever the bytes.
#include "fixture.hpp"
#include "fuzz.hpp"

using namespace gchat;
using namespace gchat::mls;

std::vector<Bytes> fuzz_seeds() { return fuzz::sample_messages(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& g = fuzz::group();
  auto message = codec::decode_exact<MlsMessage>(BytesView(data, size));
  if (!message.ok()) return 0;
  if (auto* priv = std::get_if<PrivateMessage>(&message->body)) {
    SecretTree tree(g.suite, g.encryption_secret, 2);
    (void)unprotect_private(g.suite, g.context, tree, g.sender_data_secret, *priv, g.lookup());
  } else if (auto* pub = std::get_if<PublicMessage>(&message->body)) {
    (void)verify_public(g.suite, g.context, g.membership_key, *pub, g.member.public_key);
  }
  return 0;
}
