#include "gchat/identity/key_file.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gchat::identity {
namespace {

constexpr std::string_view kFormat = "gchat-key-v1";

Bytes associated_data(std::string_view kind, BytesView public_key) {
  const std::uint8_t zero = 0;
  return concat({as_bytes(kFormat), BytesView(&zero, 1), as_bytes(kind), BytesView(&zero, 1), public_key});
}

Result<SecretBytes> derive(const SecretBytes& passphrase, BytesView salt, KdfCost cost) {
  SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()), passphrase.size(),
                    salt.data(), cost.opslimit, cost.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::crypto_failure, "Argon2id ran out of memory");
  }
  return key;
}

Result<Bytes> hex_field(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) return fail(Errc::malformed, std::string("key file lacks '") + name + "'");
  auto v = from_hex(j[name].get<std::string>());
  if (!v) return fail(Errc::malformed, std::string("key file field '") + name + "' is not hex");
  return *v;
}

}  // namespace

KdfCost moderate_cost() noexcept { return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE}; }
KdfCost sensitive_cost() noexcept { return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE}; }

Status write_key_file(const std::string& path, std::string_view kind, const SigningKey& key,
                      const SecretBytes& passphrase, KdfCost cost) {
  if (std::filesystem::exists(path)) return fail(Errc::already_exists, "'" + path + "' exists; not overwriting a key");
  Bytes salt(crypto_pwhash_SALTBYTES), nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  GCHAT_TRY(SecretBytes wrap, derive(passphrase, salt, cost));
  const Bytes ad = associated_data(kind, key.public_key());
  Bytes sealed(key.seed().size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &sealed_len, key.seed().data(), key.seed().size(), ad.data(),
                                             ad.size(), nullptr, nonce.data(), wrap.data());
  nlohmann::json j;
  j["format"] = kFormat;
  j["kind"] = kind;
  j["public_key"] = to_hex(key.public_key());
  j["kdf"] = "argon2id13";
  j["opslimit"] = cost.opslimit;
  j["memlimit"] = cost.memlimit;
  j["salt"] = to_hex(salt);
  j["nonce"] = to_hex(nonce);
  j["sealed_seed"] = to_hex(sealed);
  const std::string tmp = path + ".tmp";
  {
    const mode_t old = umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    umask(old);
    out << j.dump(2) << "\n";
    if (!out) return fail(Errc::io_failure, "cannot write '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::io_failure, "cannot create '" + path + "': " + ec.message());
  return {};
}

Result<SigningKey> read_key_file(const std::string& path, std::string_view kind, const SecretBytes& passphrase) {
  std::ifstream in(path);
  if (!in) return fail(Errc::io_failure, "cannot open key file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return read_key_text(text.str(), path, kind, passphrase);
}

Result<SigningKey> read_key_text(std::string_view text, const std::string& path, std::string_view kind,
                                 const SecretBytes& passphrase) {
  if (text.size() > 64 * 1024) return fail(Errc::malformed, "'" + path + "' is not a G-Chat key file");
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::malformed, "'" + path + "' is not a G-Chat key file");
  if (j.value("format", "") != kFormat || j.value("kdf", "") != "argon2id13") {
    return fail(Errc::malformed, "'" + path + "' is not a G-Chat key file (format gchat-key-v1, Argon2id)");
  }
  if (j.value("kind", "") != kind) {
    return fail(Errc::invalid_argument, "'" + path + "' holds a " + j.value("kind", std::string("?")) + " key, not a " +
                                            std::string(kind) + " key");
  }
  GCHAT_TRY(Bytes public_key, hex_field(j, "public_key"));
  GCHAT_TRY(Bytes salt, hex_field(j, "salt"));
  GCHAT_TRY(Bytes nonce, hex_field(j, "nonce"));
  GCHAT_TRY(Bytes sealed, hex_field(j, "sealed_seed"));
  if (!j.contains("opslimit") || !j["opslimit"].is_number_unsigned() || !j.contains("memlimit") ||
      !j["memlimit"].is_number_unsigned()) {
    return fail(Errc::malformed, "'" + path + "' lacks its Argon2id cost");
  }
  const KdfCost cost{j["opslimit"].get<unsigned long long>(), j["memlimit"].get<std::size_t>()};
  // A file cannot make us spend more than the strongest standard cost.
  if (cost.opslimit < crypto_pwhash_OPSLIMIT_MIN || cost.opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
      cost.memlimit < crypto_pwhash_MEMLIMIT_MIN || cost.memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE ||
      salt.size() != crypto_pwhash_SALTBYTES || nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed.size() != 32 + crypto_aead_xchacha20poly1305_ietf_ABYTES || public_key.size() != 32) {
    return fail(Errc::malformed, "'" + path + "' has out-of-range fields");
  }
  GCHAT_TRY(SecretBytes wrap, derive(passphrase, salt, cost));
  const Bytes ad = associated_data(kind, public_key);
  SecretBytes seed(32);
  unsigned long long seed_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed.data(), &seed_len, nullptr, sealed.data(), sealed.size(), ad.data(),
                                                 ad.size(), nonce.data(), wrap.data()) != 0) {
    return fail(Errc::decrypt_failed, "wrong passphrase for '" + path + "' (or the file was altered)");
  }
  GCHAT_TRY(auto key, SigningKey::from_seed(seed.view()));
  if (key.public_key() != public_key) return fail(Errc::malformed, "'" + path + "' does not match its public key");
  return key;
}

}  // namespace gchat::identity
