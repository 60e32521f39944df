// SPDX-License-Identifier: MIT
#include "log.h"

int mp_verbosity;
bool mp_quiet;
