#!/bin/bash
# Runs inside the sandbox chroot (see sandbox-boot.sh): seed NoCloud with USER_DATA and run the
# init stages cloud-init runs at a first boot, limited to the modules that matter here.
set -u
user_data=$1
mkdir -p /var/lib/cloud/seed/nocloud /etc/cloud/cloud.cfg.d
cp "$user_data" /var/lib/cloud/seed/nocloud/user-data
printf 'instance-id: iid-oroot-sandbox\nlocal-hostname: oroot-sandbox\n' > /var/lib/cloud/seed/nocloud/meta-data
# Only seeding, file writing and user scripts: no ssh keys, users, hostname or packages.
cat > /etc/cloud/cloud.cfg.d/99-oroot-sandbox.cfg <<'CFG'
datasource_list: [NoCloud]
network: {config: disabled}
cloud_init_modules: [seed_random, write_files]
cloud_config_modules: []
cloud_final_modules: [write_files_deferred, scripts_user]
CFG
cloud-init init --local; echo "init-local=$?" >> /oroot-ci/rc
cloud-init init; echo "init=$?" >> /oroot-ci/rc
cloud-init modules --mode final; echo "final=$?" >> /oroot-ci/rc
cloud-init status --long
cloud-init schema --system; echo "schema-system=$?" >> /oroot-ci/rc
exit 0
