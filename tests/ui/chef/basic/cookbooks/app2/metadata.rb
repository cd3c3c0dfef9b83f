name 'app2'
version '2.0.0'
depends 'nginx', '~> 11.0'
