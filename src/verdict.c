/* SPDX-License-Identifier: MIT */
#include "verdict.h"
