/* SPDX-License-Identifier: MIT */
#include "normalize.h"
