#pragma once
// The app's Thai translation (or its English) for doctest cases, loaded the way the App loads it (embedded in
// the desktop library), with the QCoreApplication a translator needs. One per test case.
#include <doctest/doctest.h>

#include <QCoreApplication>
#include <QTranslator>

namespace gchat::desktop::testing {

struct ThaiTranslation {
  int argc = 1;
  char name[5] = "test";
  char* argv[2] = {name, nullptr};
  QCoreApplication app{argc, argv};
  QTranslator translator;
  ThaiTranslation() { use(QStringLiteral(":/i18n/gchat_th.qm")); }
  void remove() { QCoreApplication::removeTranslator(&translator); }
  // English as the app shows it: the source strings with their plural forms.
  void use_english() { use(QStringLiteral(":/i18n/gchat_en.qm")); }

 private:
  void use(const QString& file) {
    remove();
    REQUIRE(translator.load(file));
    REQUIRE(QCoreApplication::installTranslator(&translator));
  }
};

}  // namespace gchat::desktop::testing
