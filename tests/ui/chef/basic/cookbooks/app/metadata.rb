name 'app'
version '1.0.0'
depends 'ohai', '>= 5.0'
