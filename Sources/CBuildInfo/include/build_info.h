#ifndef BOTSTATSD_BUILD_INFO_H
#define BOTSTATSD_BUILD_INFO_H

/// The git revision the binaries were built from ("unknown" when not built by `make`), set by
/// Package.swift from $BOTSTATSD_GIT_REVISION so that only this small target is rebuilt when it
/// changes.
const char *botstatsd_git_revision(void);

#endif
