#include "gchat/desktop/backend.hpp"

#include <doctest/doctest.h>

#include <QTemporaryDir>
#include <cstdlib>

using gchat::desktop::Backend;

TEST_CASE("setup refuses a bad relay address, a missing CA file and a malformed root key, with a reason") {
  QTemporaryDir home;
  REQUIRE(home.isValid());
  // Settings go to this folder, not the user's.
  ::setenv("XDG_CONFIG_HOME", home.path().toUtf8().constData(), 1);
  Backend backend(gchat::desktop::StartOptions{});
  CHECK(backend.stage() == QStringLiteral("setup"));
  const QString ca = home.filePath("ca.pem");
  QFile file(ca);
  REQUIRE(file.open(QIODevice::WriteOnly));
  file.close();
  const QString key(64, QChar('a'));

  CHECK_FALSE(backend.configure("127.0.0.1", ca, key, "pc"));  // no port
  CHECK_FALSE(backend.error().isEmpty());
  CHECK_FALSE(backend.configure("127.0.0.1:8443", home.filePath("missing.pem"), key, "pc"));
  CHECK(backend.error().contains("missing.pem"));
  CHECK_FALSE(backend.configure("127.0.0.1:8443", ca, key.left(63), "pc"));  // truncated
  CHECK_FALSE(backend.configure("127.0.0.1:8443", ca, QString(64, QChar('g')), "pc"));  // not hex
  CHECK(backend.stage() == QStringLiteral("setup"));

  CHECK(backend.configure("127.0.0.1:8443", ca, key.toUpper(), "pc"));
  CHECK(backend.error().isEmpty());
  CHECK(backend.stage() == QStringLiteral("unlock"));
  CHECK(backend.root_key() == key);  // kept in lower case
  CHECK(backend.relay() == QStringLiteral("127.0.0.1:8443"));
}

TEST_CASE("a passphrase shorter than 8 characters is refused before the store is touched") {
  QTemporaryDir home;
  REQUIRE(home.isValid());
  ::setenv("XDG_CONFIG_HOME", home.path().toUtf8().constData(), 1);
  gchat::desktop::StartOptions options;
  options.data_dir = home.filePath("store");
  Backend backend(options);
  backend.unlock("short");
  CHECK_FALSE(backend.error().isEmpty());
  CHECK_FALSE(backend.store_exists());
}
