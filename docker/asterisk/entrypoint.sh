#!/bin/sh
# Container start: put the deployment's settings into the shipped
# configuration, then run Asterisk in the foreground as the asterisk user.
#   VMS_ARI_PASSWORD  (required) ARI password VMS uses (user "vms"); letters
#                     and digits only (e.g. openssl rand -hex 16)
#   VMS_SBC_ADDRESS   the operator's SBC address (trunk identify + contact)
#   VMS_RTP_START / VMS_RTP_END   RTP port range (default 10000-10200,
#                     publish the same range)
set -eu
: "${VMS_ARI_PASSWORD:?VMS_ARI_PASSWORD must be set (the ARI password VMS uses)}"
case "$VMS_ARI_PASSWORD" in
*[!A-Za-z0-9]*) echo "VMS_ARI_PASSWORD: letters and digits only" >&2; exit 1 ;;
esac
cd /etc/asterisk
# In a container VMS reaches ARI over the container network.
sed -i 's/^bindaddr = .*/bindaddr = 0.0.0.0/' http.conf
sed -i "s|^password = .*|password = ${VMS_ARI_PASSWORD}|" ari.conf
if [ -n "${VMS_SBC_ADDRESS:-}" ]; then
	sed -i "s/192\.0\.2\.10/${VMS_SBC_ADDRESS}/g" pjsip.conf
fi
printf '[general]\nrtpstart=%s\nrtpend=%s\n' "${VMS_RTP_START:-10000}" "${VMS_RTP_END:-10200}" >rtp.conf
mkdir -p /run/asterisk
chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /run/asterisk
exec asterisk -f -U asterisk -G asterisk
