#!/usr/bin/env bash
# Installs the toolchains Kiln's test suite needs beyond Java 17, Maven and gcc (README quick start, command 2).
#
#   bash tests/setup-toolchains.sh            install what is missing (apt-get; through sudo when not root)
#   bash tests/setup-toolchains.sh --check    list what is missing and exit 1 if anything is; installs nothing
#   bash tests/setup-toolchains.sh --list     print every package with why the tests need it
#
# Idempotent: when every package is installed it does nothing and says so. This file is the one list of the
# tests' system packages (.ci/run runs the README's command, which runs this script); a new toolchain is one more
# line in PACKAGES below.
# Exit status: 0 everything installed (or already there), 1 --check found missing packages, 2 usage, 3 no apt-get
# (the message says what to install by hand), 4 apt-get failed.
set -euo pipefail

# package|why the tests need it   (Debian/Ubuntu package names)
PACKAGES=(
  "gcc-arm-none-eabi|Arm cross compiler: the C backend's Cortex-M tests build generated code for cortex-m0plus ... m55"
  "libnewlib-arm-none-eabi|C library and semihosting (rdimon) the Cortex-M test programs link against"
  "qemu-system-arm|runs the Cortex-M test programs and counts their instructions (mps2/mps3/microbit boards)"
  "pocl-opencl-icd|a CPU OpenCL driver: every OpenCL test runs on it when the machine has no GPU"
  "ocl-icd-libopencl1|the OpenCL ICD loader that finds pocl (or a GPU driver)"
  "ocl-icd-opencl-dev|the unversioned libOpenCL.so JOCL opens, and the library the generated OpenCL host C links"
  "opencl-headers|CL/cl.h for building the generated standalone OpenCL host program"
  "gcc-riscv64-unknown-elf|RISC-V cross compiler (rv32 multilibs): the riscv32-imac and riscv32-imafc tests build generated code with it"
  "picolibc-riscv64-unknown-elf|C library with semihosting and startup code the RISC-V test programs link against"
  "qemu-system-misc|qemu-system-riscv32: runs the RISC-V test programs on its virt board and counts their instructions"
  "gcc-aarch64-linux-gnu|aarch64 Linux cross compiler: the aarch64-linux tests build generated code with it (static)"
  "libc6-dev-arm64-cross|the aarch64 C library and headers the static aarch64-linux test programs link against"
  "qemu-user|qemu-aarch64: runs the static aarch64-linux test programs in user mode and counts their instructions"
  "cmake|builds a generated C project through its CMakeLists.txt (add_subdirectory) in the tests"
  "make|the build tool of cmake's default generator (Unix Makefiles); --no-install-recommends leaves it out"
)

# Commands each package provides, for the message on machines without apt-get (what to look for by hand).
HAND_INSTALL="arm-none-eabi-gcc with newlib (Arm GNU Toolchain), qemu-system-arm, an OpenCL 1.2 runtime with its ICD"
HAND_INSTALL+=" loader, libOpenCL.so and the CL/ headers (e.g. pocl, or your GPU vendor's), cmake with make, riscv64-unknown-elf-gcc"
HAND_INSTALL+=" with rv32 multilibs and picolibc, qemu-system-riscv32, aarch64-linux-gnu-gcc with its C library, and qemu-aarch64"

mode=install
case "${1:-}" in
  "") ;;
  --check|--dry-run) mode=check ;;
  --list) mode=list ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup-toolchains: unknown option '$1' (use --check, --list or no option)" >&2; exit 2 ;;
esac

name() { printf '%s' "${1%%|*}"; }
why() { printf '%s' "${1#*|}"; }

if [ "$mode" = list ]; then
  for p in "${PACKAGES[@]}"; do printf '%-26s %s\n' "$(name "$p")" "$(why "$p")"; done
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "setup-toolchains: apt-get is not available here, so the test toolchains cannot be installed automatically."
    echo "  Install by hand: $HAND_INSTALL."
    echo "  The Debian/Ubuntu packages would be:"
    for p in "${PACKAGES[@]}"; do printf '    %-26s %s\n' "$(name "$p")" "$(why "$p")"; done
    echo "  Then run: mvn -B verify   (a test whose tool is missing fails and names it)"
  } >&2
  exit 3
fi

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing=()
for p in "${PACKAGES[@]}"; do
  n=$(name "$p")
  if ! installed "$n"; then missing+=("$n"); echo "setup-toolchains: missing $n: $(why "$p")"; fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-toolchains: all ${#PACKAGES[@]} test toolchain packages are installed; nothing to do"
  exit 0
fi
if [ "$mode" = check ]; then
  echo "setup-toolchains: ${#missing[@]} of ${#PACKAGES[@]} packages missing: ${missing[*]}"
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup-toolchains: not root and sudo is not available; as root run: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 4
  fi
  SUDO=(sudo)
fi
echo "setup-toolchains: installing ${missing[*]}"
# why: --no-install-recommends keeps gcc-arm-none-eabi from pulling a 1.5 GB C++ library
if ! "${SUDO[@]}" apt-get update -qq \
   || ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "setup-toolchains: apt-get failed; install these packages and run again: ${missing[*]}" >&2
  exit 4
fi
echo "setup-toolchains: installed ${#missing[@]} package(s): ${missing[*]}"
