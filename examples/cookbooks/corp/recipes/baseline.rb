package 'audit'

service 'auditd' do
  action :enable
end
