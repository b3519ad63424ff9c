#include "build_info.h"

#ifndef BOTSTATSD_GIT_REVISION
#define BOTSTATSD_GIT_REVISION "unknown"
#endif

const char *botstatsd_git_revision(void) {
    return BOTSTATSD_GIT_REVISION;
}
