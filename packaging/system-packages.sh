#!/bin/sh
# Install the Debian packages named on the command line when some are missing.
# As root this runs apt-get; otherwise it names what is missing and how to install it.
set -eu
missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages:$missing"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
else
    echo "Earmark needs these Debian packages, not installed here:$missing" >&2
    echo "Install them with: sudo apt-get install$missing" >&2
    exit 1
fi
