# No password logins, no root logins; the image serves nothing on port 22
# (paasc disables sshd in the bake's last step).
file '/etc/ssh/sshd_config.d/10-hardening.conf' do
  content "PasswordAuthentication no\nPermitRootLogin no\n"
  mode '0600'
  owner 'root'
  group 'root'
end

sysctl 'net.ipv4.conf.all.accept_redirects' do
  value 0
end
