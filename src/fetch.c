/* SPDX-License-Identifier: MIT */
#include "fetch.h"
