// SPDX-License-Identifier: MIT
/* version.c - the build's name (version.h); build_id.h is generated. */
#include "version.h"
#include "build_id.h"

const char mlprobe_version[] = MLPROBE_VERSION;
const char mlprobe_created_by[] =
	"mlprobe version " MLPROBE_VERSION " (build " MLPROBE_BUILD ")";
const char mlprobe_created_by_recovered[] =
	"mlprobe version " MLPROBE_VERSION " (build " MLPROBE_BUILD ", recovered)";
