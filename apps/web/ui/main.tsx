import { render } from 'preact'
import { Barista } from './barista.tsx'
import { Customer } from './customer.tsx'
import './styles.css'

const root = document.getElementById('app') as HTMLElement
render(location.pathname.replace(/\/+$/, '') === '/barista' ? <Barista /> : <Customer />, root)
