# Every dependency comes from a Debian 12 package (see scripts/install-deps.sh); nothing is downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81...<1.82 CONFIG REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
if(GCHAT_BUILD_TESTS)
  find_package(doctest 2.4 REQUIRED)
endif()

# Boost.Asio / Beast header-only configuration shared by the relay and the tools.
add_library(gchat_asio INTERFACE)
target_link_libraries(gchat_asio INTERFACE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(gchat_asio INTERFACE BOOST_ASIO_NO_DEPRECATED)
