# Toolchain: bare-metal Arm Cortex-M4F (arm-none-eabi GCC from Debian's gcc-arm-none-eabi,
# newlib from libnewlib-arm-none-eabi, libstdc++ headers from libstdc++-arm-none-eabi-dev).
#
# Used by the `cortex-m4` preset (EDGE_PORTABLE_ONLY=ON) to compile the portable code so it cannot
# rot: C++17, no exceptions, no RTTI, no thread-safe statics, hard-float FPv4-SP ABI.
# It configures compilers and flags only; it does not pick a startup file, linker script or
# syscall specs (firmware targets add those, e.g. --specs=nosys.specs / nano.specs).
#
# The driver finds the C++ headers by itself (multilib thumb/v7e-m+fp/hard under
# /usr/lib/arm-none-eabi/include/c++/<ver>); no extra include paths are needed.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m4)

set(EDGE_ARM_TOOLCHAIN_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the arm-none-eabi tools")
set(EDGE_ARM_TOOLCHAIN_DIR "/usr/bin" CACHE PATH "Directory holding the arm-none-eabi tools")

set(CMAKE_C_COMPILER "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}g++")
set(CMAKE_ASM_COMPILER "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}gcc")
set(CMAKE_AR "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}ar" CACHE FILEPATH "")
set(CMAKE_RANLIB "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}ranlib" CACHE FILEPATH "")
set(CMAKE_NM "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}nm" CACHE FILEPATH "")
set(CMAKE_OBJCOPY "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}objcopy" CACHE FILEPATH "")
set(CMAKE_OBJDUMP "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}objdump" CACHE FILEPATH "")
set(CMAKE_SIZE "${EDGE_ARM_TOOLCHAIN_DIR}/${EDGE_ARM_TOOLCHAIN_PREFIX}size" CACHE FILEPATH "")

# There is no OS to run a test executable on: try_compile() builds static libraries instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(EDGE_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_C_FLAGS_INIT "${EDGE_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${CMAKE_C_FLAGS_INIT} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${EDGE_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

# Look for programs on the host, but for libraries, headers and packages only in the ARM sysroot.
set(CMAKE_FIND_ROOT_PATH "/usr/lib/arm-none-eabi")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
