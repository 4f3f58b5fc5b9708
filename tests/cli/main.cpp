// Catch2's main for vlc_native_tests (the native CLI's .npy / JSON unit tests).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
