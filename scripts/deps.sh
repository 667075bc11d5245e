# Sourced by scripts/run and scripts/test: install the Debian packages stapel needs when they
# are missing (with apt-get, as root or through sudo).
#
#   install_build_deps   what `cargo build` needs: a C toolchain (the bundled SQLite and TLS
#                        library), and Tesseract for OCR: the library and headers, libclang for
#                        the binding's generated code, the language data of the six languages
#                        stapel reads, and orientation detection.
#   install_test_deps    the build deps, plus PostgreSQL server binaries for the records tests,
#                        python3-venv for moto and chromium for the browser test.

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing Debian packages: $*; install them with your package manager" >&2
    exit 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "--- installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing_build_deps() {
  command -v cc >/dev/null 2>&1 || echo build-essential
  command -v pkg-config >/dev/null 2>&1 || echo pkg-config
  pkg-config --exists tesseract lept 2>/dev/null || echo libtesseract-dev libleptonica-dev
  ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || echo libclang-dev
  local language
  for language in eng nld deu dan ita fra osd; do
    [ -f "/usr/share/tesseract-ocr/5/tessdata/$language.traineddata" ] || echo "tesseract-ocr-$language"
  done
}

install_build_deps() {
  local missing
  missing=$(missing_build_deps | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    # shellcheck disable=SC2086 # one package name per word
    apt_install $missing
  fi
}

install_test_deps() {
  local missing
  missing=$(missing_build_deps | tr '\n' ' ')
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${STAPEL_PG_BIN:-}" ] || missing="$missing postgresql"
  python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$missing python3-venv"
  # The browser test (tests/browser.rs) drives Debian's chromium headless.
  [ -x /usr/bin/chromium ] || [ -n "${STAPEL_CHROMIUM:-}" ] || missing="$missing chromium"
  if [ -n "${missing// /}" ]; then
    # shellcheck disable=SC2086 # one package name per word
    apt_install $missing
  fi
}
